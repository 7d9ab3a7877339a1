"""Project reads: the nested view of one project and the tenant's project list."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.query import queries
from services.query.deps import ReadDep
from services.query.pagination import decode_cursor, encode_cursor
from services.query.schemas import ProjectDetail, ProjectPage
from shared.problems import not_found, problem_responses

router = APIRouter(prefix="/api/v1", tags=["projects"], responses=problem_responses(400, 404, 503))
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/projects/{project_id}", responses={200: {"model": ProjectDetail}})
async def get_project(project_id: UUID, read: ReadDep) -> Response:
    body = await queries.project_with_tasks(read.conn, read.caller.tenant_id, project_id)
    if body is None:
        raise not_found("project")
    return read.json(body)


@router.get("/projects", responses={200: {"model": ProjectPage}})
async def list_projects(read: ReadDep, limit: Limit = 50, cursor: str | None = None) -> Response:
    items, next_key = await queries.project_page(
        read.conn, read.caller.tenant_id, decode_cursor(cursor), limit
    )
    next_cursor = f'"{encode_cursor(next_key)}"' if next_key else "null"
    return read.json(f'{{"items":[{",".join(items)}],"next_cursor":{next_cursor}}}')

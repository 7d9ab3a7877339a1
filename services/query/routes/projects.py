"""Project reads: the nested view of one project and the tenant's project list."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.query import pages
from services.query.pagination import decode_cursor, list_scope, page_body
from services.query.reading import READ_HEADERS, ReadDep, ReadRoute
from services.query.schemas import ProjectPage
from shared.problems import not_found, problem_responses
from shared.resources import ProjectWithTasks

router = APIRouter(
    prefix="/api/v1",
    tags=["projects"],
    responses=problem_responses(400, 404, 503),
    route_class=ReadRoute,
)
Limit = Annotated[int, Query(ge=1, le=200)]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified since the ETag in If-None-Match"}
}


@router.get(
    "/projects/{project_id}",
    responses={200: {"model": ProjectWithTasks}, **NOT_MODIFIED},
    openapi_extra=READ_HEADERS,
)
async def get_project(project_id: UUID, read: ReadDep) -> Response:
    """The seed's nested view: the project with its tasks, each with its tags."""
    found = await read.objects.project_with_tasks(read.caller.tenant_id, project_id)
    if found is None:
        raise not_found("project")
    body, etag = found
    return read.json(body, etag)


@router.get(
    "/projects", responses={200: {"model": ProjectPage}, **NOT_MODIFIED}, openapi_extra=READ_HEADERS
)
async def list_projects(read: ReadDep, limit: Limit = 50, cursor: str | None = None) -> Response:
    scope = list_scope("projects", read.caller.tenant_id)
    items, next_key = await pages.project_page(
        read.pool, read.caller.tenant_id, decode_cursor(cursor, scope), limit
    )
    return read.json(page_body(items, next_key, scope))

"""Project reads: the nested view of one project and the tenant's project list."""

from __future__ import annotations

from uuid import UUID

from fastapi.responses import Response

from services.query import pages
from services.query.pagination import decode_cursor, list_scope, page_body
from services.query.reading import ReadDep
from services.query.routes.conventions import (
    READ_HEADERS,
    Limit,
    read_router,
    reads_object,
    reads_page,
)
from services.query.schemas import ProjectPage
from shared.problems import not_found
from shared.resources import ProjectWithTasks

router = read_router("projects")


@router.get(
    "/projects/{project_id}",
    responses=reads_object(ProjectWithTasks),
    openapi_extra=READ_HEADERS,
)
async def get_project(project_id: UUID, read: ReadDep) -> Response:
    """The seed's nested view: the project with its tasks, each with its tags."""
    found = await read.objects.project_with_tasks(read.caller.tenant_id, project_id)
    if found is None:
        raise not_found("project")
    return read.one(found)


@router.get("/projects", responses=reads_page(ProjectPage), openapi_extra=READ_HEADERS)
async def list_projects(read: ReadDep, limit: Limit = 50, cursor: str | None = None) -> Response:
    scope = list_scope("projects", read.caller.tenant_id)
    items, next_key = await pages.project_page(
        read.pool, read.caller.tenant_id, decode_cursor(cursor, scope), limit
    )
    return read.json(page_body(items, next_key, scope))

"""Task reads: one task, and the filtered, paginated task list."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query
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
from services.query.schemas import TaskPage
from shared.problems import not_found
from shared.resources import Task
from shared.task_fields import Assignee, CalendarDate
from shared.task_status import Status

router = read_router("tasks")
ASSIGNED = "Only tasks assigned to exactly this assignee."
DUE_BEFORE = "Only tasks due before this day (tasks without a due date are left out)."


@router.get("/tasks", responses=reads_page(TaskPage), openapi_extra=READ_HEADERS)
async def list_tasks(
    read: ReadDep,
    project_id: UUID | None = None,
    status: Status | None = None,
    tag_id: UUID | None = None,
    assignee: Annotated[Assignee | None, Query(description=ASSIGNED)] = None,
    due_before: Annotated[CalendarDate | None, Query(description=DUE_BEFORE)] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> Response:
    """Filters combine; ids of another tenant simply match nothing."""
    tenant_id = read.caller.tenant_id
    filters = pages.TaskFilters(project_id, status, tag_id, assignee, due_before)
    scope = list_scope("tasks", tenant_id, **filters.named())
    items, next_key = await pages.task_page(
        read.pool, tenant_id, decode_cursor(cursor, scope), limit, filters
    )
    return read.json(page_body(items, next_key, scope))


@router.get("/tasks/{task_id}", responses=reads_object(Task), openapi_extra=READ_HEADERS)
async def get_task(task_id: UUID, read: ReadDep) -> Response:
    found = await read.objects.task(read.caller.tenant_id, task_id)
    if found is None:
        raise not_found("task")
    return read.one(found)

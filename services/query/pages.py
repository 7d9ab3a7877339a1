"""Reads of a page of a tenant's list: projects, tasks (filtered), tags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.query import queries
from services.query.pagination import Key
from services.query.pool import Pool
from shared.task_status import Status

EPOCH = datetime.fromisoformat("0001-01-01T00:00:00+00:00")
NIL = UUID(int=0)
Page = tuple[list[str], Key | None]
"""The items' JSON bodies, and the key to continue after them (None on the last page)."""


async def project_page(pool: Pool, tenant_id: UUID, after: Key | None, limit: int) -> Page:
    return await _page(pool, queries.PROJECT_PAGE, (tenant_id,), after, limit)


async def tag_page(pool: Pool, tenant_id: UUID, after: Key | None, limit: int) -> Page:
    return await _page(pool, queries.TAG_PAGE, (tenant_id,), after, limit)


@dataclass(frozen=True)
class TaskFilters:
    project_id: UUID | None = None
    status: Status | None = None
    tag_id: UUID | None = None
    assignee: str | None = None
    due_before: date | None = None

    def named(self) -> dict[str, object]:
        """The filters a cursor is bound to: the first three always (given or not, as
        cursors have been bound since the start), the later ones when given, so that a
        cursor issued before they existed still continues its list."""
        later = {"assignee": self.assignee, "due_before": self.due_before}
        first = {"project_id": self.project_id, "status": self.status, "tag_id": self.tag_id}
        return first | {name: value for name, value in later.items() if value is not None}


async def task_page(
    pool: Pool, tenant_id: UUID, after: Key | None, limit: int, filters: TaskFilters
) -> Page:
    statement, params = task_statement(tenant_id, filters)
    return await _page(pool, statement, params, after, limit)


def task_statement(tenant_id: UUID, filters: TaskFilters) -> tuple[str, tuple[Any, ...]]:
    """The page's statement and its filters' parameters (the key and the limit follow).
    Filters combine with AND; each has an index that keeps the page in key order,
    except `due_before`, whose index finds the tasks due in a range (a task without a
    due date is never due before anything)."""
    conditions = ["t.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if filters.project_id is not None:
        conditions.append("t.project_id = %s")
        params.append(filters.project_id)
    if filters.status is not None:
        conditions.append("t.status = %s")
        params.append(filters.status.value)
    if filters.tag_id is not None:
        conditions.append("t.id IN (SELECT task_id FROM task_tags WHERE tag_id = %s)")
        params.append(filters.tag_id)
    if filters.assignee is not None:
        conditions.append("t.assignee = %s")
        params.append(filters.assignee)
    if filters.due_before is not None:
        conditions.append("t.due_on < %s")
        params.append(filters.due_before)
    return queries.task_page_statement(conditions), tuple(params)


async def _page(
    pool: Pool, statement: str, params: tuple[Any, ...], after: Key | None, limit: int
) -> Page:
    created_at, last_id = after or (EPOCH, NIL)
    async with pool.connection() as conn:
        cur = await conn.execute(
            statement,
            (*params, created_at, last_id, limit + 1),
            prepare=True,
        )
        rows = await cur.fetchall()
    items = [str(r[0]) for r in rows[:limit]]
    next_key = (rows[limit - 1][1], rows[limit - 1][2]) if len(rows) > limit else None
    return items, next_key

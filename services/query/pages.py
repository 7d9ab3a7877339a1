"""Reads of a page of a tenant's list: projects, tasks (filtered), tags."""

from __future__ import annotations

from datetime import datetime
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


async def task_page(
    pool: Pool,
    tenant_id: UUID,
    after: Key | None,
    limit: int,
    *,
    project_id: UUID | None = None,
    status: Status | None = None,
    tag_id: UUID | None = None,
) -> Page:
    """Filters combine with AND; each has an index that keeps the page in key order."""
    conditions = ["t.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if project_id is not None:
        conditions.append("t.project_id = %s")
        params.append(project_id)
    if status is not None:
        conditions.append("t.status = %s")
        params.append(status.value)
    if tag_id is not None:
        conditions.append("t.id IN (SELECT task_id FROM task_tags WHERE tag_id = %s)")
        params.append(tag_id)
    statement = queries.task_page_statement(conditions)
    return await _page(pool, statement, tuple(params), after, limit)


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

"""Reads as explicit SQL over the read tables; PostgreSQL builds the JSON.

Each read is one statement whatever the number of tasks and tags, and no per-row
Python object is made: the text PostgreSQL returns is the response body.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.timestamps import sql_rfc3339

TAG_JSON = "json_build_object('id', g.id, 'name', g.name, 'color', g.color)"
TASK_JSON = (
    "json_build_object('id', t.id, 'project_id', t.project_id, 'title', t.title,"
    " 'description', t.description, 'status', t.status,"
    " 'tags', COALESCE((SELECT json_agg(" + TAG_JSON + " ORDER BY lower(g.name), g.id)"
    " FROM task_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.task_id = t.id), '[]'),"
    f" 'created_at', {sql_rfc3339('t.created_at')}, 'updated_at', {sql_rfc3339('t.updated_at')},"
    " 'version', t.version)"
)
PROJECT_FIELDS = (
    "'id', p.id, 'name', p.name, 'description', p.description,"
    f" 'created_at', {sql_rfc3339('p.created_at')}, 'updated_at', {sql_rfc3339('p.updated_at')},"
    " 'version', p.version"
)

PROJECT_WITH_TASKS = (
    "SELECT json_build_object(" + PROJECT_FIELDS + ","
    " 'tasks', COALESCE((SELECT json_agg(" + TASK_JSON + " ORDER BY t.created_at, t.id)"
    " FROM tasks t WHERE t.tenant_id = p.tenant_id AND t.project_id = p.id), '[]'))::text"
    " FROM projects p WHERE p.id = %s AND p.tenant_id = %s"
)

PROJECT_PAGE = (
    "SELECT json_build_object(" + PROJECT_FIELDS + ", 'task_count', p.task_count)::text,"
    " p.created_at, p.id FROM projects p"
    " WHERE p.tenant_id = %s AND (p.created_at, p.id) > (%s, %s)"
    " ORDER BY p.created_at, p.id LIMIT %s"
)

Conn = AsyncConnection[tuple[Any, ...]]
EPOCH = datetime.fromisoformat("0001-01-01T00:00:00+00:00")
NIL = UUID(int=0)


async def project_with_tasks(conn: Conn, tenant_id: UUID, project_id: UUID) -> str | None:
    cur = await conn.execute(PROJECT_WITH_TASKS, (project_id, tenant_id), prepare=True)
    row = await cur.fetchone()
    return str(row[0]) if row else None


async def project_page(
    conn: Conn, tenant_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> tuple[list[str], tuple[datetime, UUID] | None]:
    """One page, plus the key to continue after it (None on the last page)."""
    created_at, last_id = after or (EPOCH, NIL)
    cur = await conn.execute(
        PROJECT_PAGE, (tenant_id, created_at, last_id, limit + 1), prepare=True
    )
    rows = await cur.fetchall()
    items = [str(r[0]) for r in rows[:limit]]
    next_key = (rows[limit - 1][1], rows[limit - 1][2]) if len(rows) > limit else None
    return items, next_key

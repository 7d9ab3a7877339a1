"""Reads as explicit SQL over the read tables; PostgreSQL builds the JSON.

Each read is one statement whatever the number of tasks and tags, and no per-row
Python object is made: the text PostgreSQL returns is the response body. The nested
project view is kept built in project_documents, so reading it costs about one
primary-key lookup. Lists are keyset-paginated on (created_at, id), which the
tables' indexes serve in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.query.batched import ByIdReads
from shared.timestamps import sql_rfc3339

Conn = AsyncConnection[tuple[Any, ...]]
Pool = AsyncConnectionPool[Conn]
Key = tuple[datetime, UUID]
EPOCH = datetime.fromisoformat("0001-01-01T00:00:00+00:00")
NIL = UUID(int=0)

TAG_REF = "json_build_object('id', g.id, 'name', g.name, 'color', g.color)"
TASK_JSON = (
    "json_build_object('id', t.id, 'project_id', t.project_id, 'title', t.title,"
    " 'description', t.description, 'status', t.status,"
    " 'tags', COALESCE((SELECT json_agg(" + TAG_REF + " ORDER BY lower(g.name), g.id)"
    " FROM task_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.task_id = t.id), '[]'),"
    f" 'created_at', {sql_rfc3339('t.created_at')}, 'updated_at', {sql_rfc3339('t.updated_at')},"
    " 'version', t.version)"
)
PROJECT_FIELDS = (
    "'id', p.id, 'name', p.name, 'description', p.description,"
    f" 'created_at', {sql_rfc3339('p.created_at')}, 'updated_at', {sql_rfc3339('p.updated_at')},"
    " 'version', p.version"
)
TAG_JSON = (
    "json_build_object('id', g.id, 'name', g.name, 'color', g.color,"
    f" 'created_at', {sql_rfc3339('g.created_at')}, 'updated_at', {sql_rfc3339('g.updated_at')},"
    " 'version', g.version, 'task_count', g.task_count)"
)

PROJECT_DOCUMENT = (
    "json_build_object(" + PROJECT_FIELDS + ","
    " 'tasks', COALESCE((SELECT json_agg(" + TASK_JSON + " ORDER BY t.created_at, t.id)"
    " FROM tasks t WHERE t.tenant_id = p.tenant_id AND t.project_id = p.id), '[]'))::text"
)
# The nested views of the requested projects (ids and tenants as two arrays: reads of
# one object are batched, services/query/batched.py), each from project_documents while
# its revision is the project's (the projector bumps it on every change); otherwise
# built, stored and returned, all in one statement. A copy built from an older snapshot
# never replaces a newer one, and copies are stored in id order, so two batches storing
# the same projects never deadlock. The ETag is kept with it: hashing the body on every
# read cost more than reading it.
# An empty project's view is not stored: building it costs about what looking up a
# stored copy does (0.32 against 0.29 ms here), and storing it made the first read of
# every new project a write (0.68 ms).
PROJECTS_WITH_TASKS = (
    "WITH p AS (SELECT pr.* FROM unnest(%s::uuid[], %s::uuid[]) AS r (id, tenant_id)"
    " JOIN projects pr ON pr.id = r.id AND pr.tenant_id = r.tenant_id),"
    " cached AS (SELECT p.id, p.tenant_id, d.body, d.etag FROM project_documents d JOIN p"
    " ON d.project_id = p.id AND d.revision = p.revision),"
    " built AS (SELECT *, md5(body) AS etag FROM (SELECT p.id, p.tenant_id, p.revision,"
    " p.task_count, "
    + PROJECT_DOCUMENT
    + " AS body FROM p WHERE NOT EXISTS (SELECT FROM cached c WHERE c.id = p.id)) b),"
    " stored AS (INSERT INTO project_documents (project_id, tenant_id, revision, body, etag)"
    " SELECT id, tenant_id, revision, body, etag FROM built WHERE task_count > 0"
    " ORDER BY id ON CONFLICT (project_id)"
    " DO UPDATE SET revision = EXCLUDED.revision, body = EXCLUDED.body, etag = EXCLUDED.etag"
    " WHERE project_documents.revision < EXCLUDED.revision)"
    " SELECT id, tenant_id, body, etag FROM cached"
    " UNION ALL SELECT id, tenant_id, body, etag FROM built"
)
# A page of tasks, each one's JSON from task_documents while its revision is the
# task's, otherwise built, stored and returned: one statement, like the nested view.
# Copies are stored in id order, so two pages storing the same tasks never deadlock.
TASK_PAGE = (
    "WITH page AS MATERIALIZED ({page}),"
    " cached AS (SELECT d.task_id, d.body FROM task_documents d JOIN page p"
    " ON d.task_id = p.id AND d.revision = p.revision),"
    " built AS (SELECT t.id, t.tenant_id, t.revision, " + TASK_JSON + "::text AS body"
    " FROM page t WHERE NOT EXISTS (SELECT FROM cached c WHERE c.task_id = t.id)),"
    " stored AS (INSERT INTO task_documents (task_id, tenant_id, revision, body)"
    " SELECT id, tenant_id, revision, body FROM built ORDER BY id ON CONFLICT (task_id)"
    " DO UPDATE SET revision = EXCLUDED.revision, body = EXCLUDED.body"
    " WHERE task_documents.revision < EXCLUDED.revision)"
    " SELECT COALESCE(c.body, b.body), p.created_at, p.id FROM page p"
    " LEFT JOIN cached c ON c.task_id = p.id LEFT JOIN built b ON b.id = p.id"
    " ORDER BY p.created_at, p.id"
)
PROJECT_PAGE = (
    "SELECT json_build_object(" + PROJECT_FIELDS + ", 'task_count', p.task_count)::text,"
    " p.created_at, p.id FROM projects p"
    " WHERE p.tenant_id = %s AND (p.created_at, p.id) > (%s, %s)"
    " ORDER BY p.created_at, p.id LIMIT %s"
)
TASKS_BY_ID = (
    "SELECT t.id, t.tenant_id, " + TASK_JSON + "::text"
    " FROM unnest(%s::uuid[], %s::uuid[]) AS r (id, tenant_id)"
    " JOIN tasks t ON t.id = r.id AND t.tenant_id = r.tenant_id"
)
TAGS_BY_ID = (
    "SELECT g.id, g.tenant_id, " + TAG_JSON + "::text"
    " FROM unnest(%s::uuid[], %s::uuid[]) AS r (id, tenant_id)"
    " JOIN tags g ON g.id = r.id AND g.tenant_id = r.tenant_id"
)
TAG_PAGE = (
    "SELECT " + TAG_JSON + "::text, g.created_at, g.id FROM tags g"
    " WHERE g.tenant_id = %s AND (g.created_at, g.id) > (%s, %s)"
    " ORDER BY g.created_at, g.id LIMIT %s"
)


@dataclass(frozen=True)
class ObjectReads:
    """The reads of one object, each kind batched (services/query/batched.py)."""

    projects: ByIdReads
    tasks: ByIdReads
    tags: ByIdReads

    @classmethod
    def over(cls, pool: Pool) -> ObjectReads:
        return cls(
            ByIdReads(pool, PROJECTS_WITH_TASKS),
            ByIdReads(pool, TASKS_BY_ID),
            ByIdReads(pool, TAGS_BY_ID),
        )


async def project_with_tasks(
    objects: ObjectReads, tenant_id: UUID, project_id: UUID
) -> tuple[str, str] | None:
    """The body and its ETag."""
    row = await objects.projects.get(tenant_id, project_id)
    return (str(row[0]), str(row[1])) if row else None


async def task(objects: ObjectReads, tenant_id: UUID, task_id: UUID) -> str | None:
    row = await objects.tasks.get(tenant_id, task_id)
    return str(row[0]) if row else None


async def tag(objects: ObjectReads, tenant_id: UUID, tag_id: UUID) -> str | None:
    row = await objects.tags.get(tenant_id, tag_id)
    return str(row[0]) if row else None


async def project_page(
    pool: Pool, tenant_id: UUID, after: Key | None, limit: int
) -> tuple[list[str], Key | None]:
    return await _page(pool, PROJECT_PAGE, (tenant_id,), after, limit)


async def tag_page(
    pool: Pool, tenant_id: UUID, after: Key | None, limit: int
) -> tuple[list[str], Key | None]:
    return await _page(pool, TAG_PAGE, (tenant_id,), after, limit)


async def task_page(
    pool: Pool,
    tenant_id: UUID,
    after: Key | None,
    limit: int,
    *,
    project_id: UUID | None = None,
    status: str | None = None,
    tag_id: UUID | None = None,
) -> tuple[list[str], Key | None]:
    """Filters combine with AND; each has an index that keeps the page in key order."""
    conditions = ["t.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if project_id is not None:
        conditions.append("t.project_id = %s")
        params.append(project_id)
    if status is not None:
        conditions.append("t.status = %s")
        params.append(status)
    if tag_id is not None:
        conditions.append("t.id IN (SELECT task_id FROM task_tags WHERE tag_id = %s)")
        params.append(tag_id)
    page = (
        "SELECT t.* FROM tasks t"
        " WHERE " + " AND ".join(conditions) + " AND (t.created_at, t.id) > (%s, %s)"
        " ORDER BY t.created_at, t.id LIMIT %s"
    )
    return await _page(pool, TASK_PAGE.format(page=page), tuple(params), after, limit)


async def _page(
    pool: Pool, statement: str, params: tuple[Any, ...], after: Key | None, limit: int
) -> tuple[list[str], Key | None]:
    """One page, plus the key to continue after it (None on the last page)."""
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

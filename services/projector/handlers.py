"""One handler per event type: how each published fact changes the read tables.

Handlers are idempotent per aggregate (a row is only changed by a newer version), so
even an event JetStream hands over twice outside its duplicate window changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncCursor

from shared.events import EventEnvelope

Cursor = AsyncCursor[tuple[Any, ...]]
Handler = Callable[[Cursor, EventEnvelope], Awaitable[None]]


async def project_created(cur: Cursor, e: EventEnvelope) -> None:
    await cur.execute(
        "INSERT INTO projects (id, tenant_id, name, description, created_at, updated_at, version)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (
            e.aggregate_id,
            e.tenant_id,
            e.data["name"],
            e.data.get("description"),
            e.time,
            e.time,
            e.aggregate_version,
        ),
    )


async def project_renamed(cur: Cursor, e: EventEnvelope) -> None:
    await _update_project(cur, e, "name = %s", e.data["name"])


async def project_description_changed(cur: Cursor, e: EventEnvelope) -> None:
    await _update_project(cur, e, "description = %s", e.data.get("description"))


async def project_deleted(cur: Cursor, e: EventEnvelope) -> None:
    """A deleted project takes its tasks, and their tag links, with it."""
    await cur.execute(
        "WITH gone AS (DELETE FROM task_tags tt USING tasks t"
        " WHERE tt.task_id = t.id AND t.project_id = %s AND t.tenant_id = %s"
        " RETURNING tt.tag_id),"
        " counts AS (SELECT tag_id, count(*) AS n FROM gone GROUP BY tag_id)"
        " UPDATE tags SET task_count = tags.task_count - counts.n"
        " FROM counts WHERE tags.id = counts.tag_id",
        (e.aggregate_id, e.tenant_id),
    )
    await cur.execute(
        "DELETE FROM tasks WHERE project_id = %s AND tenant_id = %s",
        (e.aggregate_id, e.tenant_id),
    )
    await cur.execute(
        "DELETE FROM projects WHERE id = %s AND tenant_id = %s", (e.aggregate_id, e.tenant_id)
    )


async def _update_project(cur: Cursor, e: EventEnvelope, assignment: str, value: object) -> None:
    await cur.execute(
        f"UPDATE projects SET {assignment}, updated_at = %s, version = %s"  # noqa: S608
        " WHERE id = %s AND tenant_id = %s AND version < %s",
        (value, e.time, e.aggregate_version, e.aggregate_id, e.tenant_id, e.aggregate_version),
    )


HANDLERS: dict[str, Handler] = {
    "ProjectCreated": project_created,
    "ProjectRenamed": project_renamed,
    "ProjectDescriptionChanged": project_description_changed,
    "ProjectDeleted": project_deleted,
}

"""One handler per event type: how each published fact changes the read tables.

Handlers are idempotent per aggregate (a row is only changed by a newer version), so
even an event JetStream hands over twice outside its duplicate window changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from psycopg import AsyncCursor

from shared.events.envelope import EventEnvelope
from shared.tag_names import name_key

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
    await _update(cur, "projects", e, "name = %s", e.data["name"])


async def project_description_changed(cur: Cursor, e: EventEnvelope) -> None:
    await _update(cur, "projects", e, "description = %s", e.data.get("description"))


async def project_deleted(cur: Cursor, e: EventEnvelope) -> None:
    """A deleted project takes its tasks, and their tag links, with it."""
    await cur.execute(
        "WITH gone AS (DELETE FROM task_tags tt USING tasks t"
        " WHERE tt.task_id = t.id AND t.project_id = %s AND t.tenant_id = %s"
        " RETURNING tt.tag_id),"
        " counts AS (SELECT tag_id, count(*) AS n FROM gone GROUP BY tag_id)"
        " UPDATE tags SET task_count = tags.task_count - counts.n"
        " FROM counts WHERE tags.id = counts.tag_id AND tags.tenant_id = %s",
        (e.aggregate_id, e.tenant_id, e.tenant_id),
    )
    await cur.execute(
        "DELETE FROM tasks WHERE project_id = %s AND tenant_id = %s",
        (e.aggregate_id, e.tenant_id),
    )
    await cur.execute(
        "DELETE FROM projects WHERE id = %s AND tenant_id = %s", (e.aggregate_id, e.tenant_id)
    )


async def task_created(cur: Cursor, e: EventEnvelope) -> None:
    """Inserted only into a live project of the tenant; the project's count follows."""
    d = e.data
    await cur.execute(
        "WITH inserted AS (INSERT INTO tasks (id, tenant_id, project_id, title, description,"
        " status, created_at, updated_at, version)"
        " SELECT %s, %s, p.id, %s, %s, %s, %s, %s, %s FROM projects p"
        " WHERE p.id = %s AND p.tenant_id = %s"
        " ON CONFLICT (id) DO NOTHING RETURNING project_id)"
        " UPDATE projects SET task_count = task_count + 1"
        " WHERE id IN (SELECT project_id FROM inserted) AND tenant_id = %s",
        (
            e.aggregate_id,
            e.tenant_id,
            d["title"],
            d.get("description"),
            d["status"],
            e.time,
            e.time,
            e.aggregate_version,
            UUID(d["project_id"]),
            e.tenant_id,
            e.tenant_id,
        ),
    )


async def task_renamed(cur: Cursor, e: EventEnvelope) -> None:
    await _update(cur, "tasks", e, "title = %s", e.data["title"])


async def task_description_changed(cur: Cursor, e: EventEnvelope) -> None:
    await _update(cur, "tasks", e, "description = %s", e.data.get("description"))


async def task_status_changed(cur: Cursor, e: EventEnvelope) -> None:
    await _update(cur, "tasks", e, "status = %s", e.data["status"])


async def task_moved(cur: Cursor, e: EventEnvelope) -> None:
    """Moves the task and one unit of task_count from the old project to the new."""
    await cur.execute(
        "WITH old AS (SELECT project_id FROM tasks WHERE id = %s AND tenant_id = %s"
        " AND version < %s FOR UPDATE),"
        " moved AS (UPDATE tasks t SET project_id = %s, updated_at = %s, version = %s"
        " FROM old WHERE t.id = %s AND t.tenant_id = %s RETURNING old.project_id AS previous),"
        " less AS (UPDATE projects SET task_count = task_count - 1"
        " WHERE id IN (SELECT previous FROM moved) AND tenant_id = %s)"
        " UPDATE projects SET task_count = task_count + 1"
        " WHERE id = %s AND tenant_id = %s AND EXISTS (SELECT 1 FROM moved)",
        (
            e.aggregate_id,
            e.tenant_id,
            e.aggregate_version,
            UUID(e.data["project_id"]),
            e.time,
            e.aggregate_version,
            e.aggregate_id,
            e.tenant_id,
            e.tenant_id,
            UUID(e.data["project_id"]),
            e.tenant_id,
        ),
    )


async def task_deleted(cur: Cursor, e: EventEnvelope) -> None:
    """Removes the task, its tag links, and its share of every count."""
    await cur.execute(
        "WITH links AS (DELETE FROM task_tags WHERE task_id = %s AND tenant_id = %s"
        " RETURNING tag_id)"
        " UPDATE tags SET task_count = task_count - 1"
        " WHERE id IN (SELECT tag_id FROM links) AND tenant_id = %s",
        (e.aggregate_id, e.tenant_id, e.tenant_id),
    )
    await cur.execute(
        "WITH gone AS (DELETE FROM tasks WHERE id = %s AND tenant_id = %s RETURNING project_id)"
        " UPDATE projects SET task_count = task_count - 1"
        " WHERE id IN (SELECT project_id FROM gone) AND tenant_id = %s",
        (e.aggregate_id, e.tenant_id, e.tenant_id),
    )


async def task_tagged(cur: Cursor, e: EventEnvelope) -> None:
    await cur.execute(
        "WITH linked AS (INSERT INTO task_tags (task_id, tag_id, tenant_id)"
        " SELECT t.id, g.id, t.tenant_id FROM tasks t JOIN tags g ON g.tenant_id = t.tenant_id"
        " WHERE t.id = %s AND t.tenant_id = %s AND g.id = %s"
        " ON CONFLICT DO NOTHING RETURNING tag_id),"
        " tagged AS (UPDATE tags SET task_count = task_count + 1"
        " WHERE id IN (SELECT tag_id FROM linked) AND tenant_id = %s)"
        " UPDATE tasks SET updated_at = %s, version = %s"
        " WHERE id = %s AND tenant_id = %s AND version < %s",
        (
            e.aggregate_id,
            e.tenant_id,
            UUID(e.data["tag_id"]),
            e.tenant_id,
            e.time,
            e.aggregate_version,
            e.aggregate_id,
            e.tenant_id,
            e.aggregate_version,
        ),
    )


async def task_untagged(cur: Cursor, e: EventEnvelope) -> None:
    await cur.execute(
        "WITH unlinked AS (DELETE FROM task_tags WHERE task_id = %s AND tag_id = %s"
        " AND tenant_id = %s RETURNING tag_id),"
        " untagged AS (UPDATE tags SET task_count = task_count - 1"
        " WHERE id IN (SELECT tag_id FROM unlinked) AND tenant_id = %s)"
        " UPDATE tasks SET updated_at = %s, version = %s"
        " WHERE id = %s AND tenant_id = %s AND version < %s",
        (
            e.aggregate_id,
            UUID(e.data["tag_id"]),
            e.tenant_id,
            e.tenant_id,
            e.time,
            e.aggregate_version,
            e.aggregate_id,
            e.tenant_id,
            e.aggregate_version,
        ),
    )


async def tag_created(cur: Cursor, e: EventEnvelope) -> None:
    await cur.execute(
        "INSERT INTO tags (id, tenant_id, name, name_key, color, created_at, updated_at, version)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (
            e.aggregate_id,
            e.tenant_id,
            e.data["name"],
            name_key(e.data["name"]),
            e.data.get("color"),
            e.time,
            e.time,
            e.aggregate_version,
        ),
    )


async def tag_renamed(cur: Cursor, e: EventEnvelope) -> None:
    name = e.data["name"]
    await _update(cur, "tags", e, "name = %s, name_key = %s", name, name_key(name))


async def tag_recolored(cur: Cursor, e: EventEnvelope) -> None:
    await _update(cur, "tags", e, "color = %s", e.data.get("color"))


async def tag_deleted(cur: Cursor, e: EventEnvelope) -> None:
    """The tag leaves every task that carried it."""
    await cur.execute(
        "DELETE FROM task_tags WHERE tag_id = %s AND tenant_id = %s", (e.aggregate_id, e.tenant_id)
    )
    await cur.execute(
        "DELETE FROM tags WHERE id = %s AND tenant_id = %s", (e.aggregate_id, e.tenant_id)
    )


async def _update(
    cur: Cursor, table: str, e: EventEnvelope, assignment: str, *values: object
) -> None:
    """One field of a row, only by a newer version of its aggregate."""
    await cur.execute(
        f"UPDATE {table} SET {assignment}, updated_at = %s, version = %s"  # noqa: S608
        " WHERE id = %s AND tenant_id = %s AND version < %s",
        (*values, e.time, e.aggregate_version, e.aggregate_id, e.tenant_id, e.aggregate_version),
    )


HANDLERS: dict[str, Handler] = {
    "ProjectCreated": project_created,
    "ProjectRenamed": project_renamed,
    "ProjectDescriptionChanged": project_description_changed,
    "ProjectDeleted": project_deleted,
    "TaskCreated": task_created,
    "TaskRenamed": task_renamed,
    "TaskDescriptionChanged": task_description_changed,
    "TaskStatusChanged": task_status_changed,
    "TaskMoved": task_moved,
    "TaskDeleted": task_deleted,
    "TaskTagged": task_tagged,
    "TaskUntagged": task_untagged,
    "TagCreated": tag_created,
    "TagRenamed": tag_renamed,
    "TagRecolored": tag_recolored,
    "TagDeleted": tag_deleted,
}

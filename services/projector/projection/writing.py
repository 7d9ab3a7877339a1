"""A folded page written in a dozen statements, whatever the number of its events.

Deletes first (rows, then by project and tag), then the page's rows and links: new ones
inserted, known ones merged (bulk_writes.py). Every delete names the tenant with the id:
an event of one tenant never removes another's rows, whatever ids it names.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from psycopg import AsyncConnection, sql

from services.projector.projection import bulk_writes
from services.projector.projection.bulk_writes import (
    DELETE_PROJECTS_TASKS,
    INSERT_LIMIT,
    LINK_COLUMNS,
    UNLINK,
    UNLINK_PROJECTS_TASKS,
    UNLINK_TAGS,
    UNLINK_TASKS,
    owned_columns,
)
from services.projector.projection.page import COLUMNS, Page

Conn = AsyncConnection[tuple[Any, ...]]


async def write(page: Page, conn: Conn) -> None:
    await _delete(page, conn)
    for table, rows in page.rows.items():
        values = itemgetter(*COLUMNS[table])
        known = [values(row) for row_id, row in rows.items() if row_id not in page.created[table]]
        await bulk_writes.add(conn, table, COLUMNS[table], _fresh(page, table))
        if known:
            await bulk_writes.copy_merge(conn, table, COLUMNS[table], known, "id")
    await bulk_writes.add(conn, "task_tags", LINK_COLUMNS, _fresh_links(page))
    known_links = [(t, g, n) for (t, g), n in page.links.items() if t not in page.created["tasks"]]
    if known_links:
        await bulk_writes.copy_merge(
            conn, "task_tags", LINK_COLUMNS, known_links, "task_id, tag_id"
        )


async def _delete(page: Page, conn: Conn) -> None:
    if page.deleted_tags:
        await conn.execute(UNLINK_TAGS, owned_columns(page.deleted_tags))
    if page.deleted_projects:
        # Tasks this page moved out of a deleted project live on: keep them.
        owned, kept = owned_columns(page.deleted_projects), list(page.rows["tasks"])
        await conn.execute(UNLINK_PROJECTS_TASKS, (*owned, kept))
        await conn.execute(DELETE_PROJECTS_TASKS, (*owned, kept))
    for table, gone in page.deleted.items():
        if gone:
            if table == "tasks":
                await conn.execute(UNLINK_TASKS, owned_columns(gone))
            await conn.execute(
                sql.SQL(
                    "DELETE FROM {} r USING unnest(%s::uuid[], %s::uuid[]) AS o(id, tenant_id)"
                    " WHERE r.id = o.id AND r.tenant_id = o.tenant_id"
                ).format(sql.Identifier(table)),
                owned_columns(gone),
            )
    if page.unlinked:
        await conn.execute(UNLINK, tuple(map(list, zip(*page.unlinked, strict=True))))


def additions(page: Page) -> list[sql.Composable] | None:
    """The whole write as statements that need no round trip of their own, when the page
    only adds rows, few enough for one INSERT per table; else None. The live projector
    then sends them with its COMMIT: a batch of creates in two messages."""
    if (
        any(page.deleted.values())
        or page.deleted_projects
        or page.deleted_tags
        or page.unlinked
        or any(len(rows) != len(page.created[table]) for table, rows in page.rows.items())
        or any(t not in page.created["tasks"] for t, _ in page.links)
    ):
        return None
    added = [(table, COLUMNS[table], _fresh(page, table)) for table in COLUMNS]
    added.append(("task_tags", LINK_COLUMNS, _fresh_links(page)))
    if any(len(rows) > INSERT_LIMIT for _, _, rows in added):
        return None
    return [bulk_writes.insert(table, columns, rows) for table, columns, rows in added if rows]


def _fresh(page: Page, table: str) -> list[tuple[Any, ...]]:
    values = itemgetter(*COLUMNS[table])
    created = page.created[table]
    return [values(row) for row_id, row in page.rows[table].items() if row_id in created]


def _fresh_links(page: Page) -> list[tuple[Any, ...]]:
    new_tasks = page.created["tasks"]
    return [(t, g, n) for (t, g), n in page.links.items() if t in new_tasks]

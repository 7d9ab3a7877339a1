"""The statements a page is written with (writing.py).

New rows go in with one INSERT of JSON rows (one message, shared with the live
projector's COMMIT) or COPY; changed rows through COPY into a staging table and one
merge; deletes by (id, tenant) pairs, so that no event of one tenant removes another's
rows.
"""

from __future__ import annotations

from typing import Any

import orjson
from psycopg import AsyncConnection, sql

from services.projector.projection.page import Owned
from shared.stored_events.decoding import Id

Conn = AsyncConnection[tuple[Any, ...]]

# Deletes by (id, tenant) pairs: `owned_columns` gives the two arrays.
UNLINK_TAGS = (
    "DELETE FROM task_tags tt USING unnest(%s::uuid[], %s::uuid[]) AS o(id, tenant_id)"
    " WHERE tt.tag_id = o.id AND tt.tenant_id = o.tenant_id"
)
UNLINK_TASKS = (
    "DELETE FROM task_tags tt USING unnest(%s::uuid[], %s::uuid[]) AS o(id, tenant_id)"
    " WHERE tt.task_id = o.id AND tt.tenant_id = o.tenant_id"
)
UNLINK_PROJECTS_TASKS = (
    "DELETE FROM task_tags WHERE task_id IN (SELECT t.id FROM tasks t"
    " JOIN unnest(%s::uuid[], %s::uuid[]) AS o(id, tenant_id)"
    " ON t.project_id = o.id AND t.tenant_id = o.tenant_id WHERE t.id <> ALL(%s::uuid[]))"
)
DELETE_PROJECTS_TASKS = (
    "DELETE FROM tasks t USING unnest(%s::uuid[], %s::uuid[]) AS o(id, tenant_id)"
    " WHERE t.project_id = o.id AND t.tenant_id = o.tenant_id AND t.id <> ALL(%s::uuid[])"
)
UNLINK = (
    "DELETE FROM task_tags t"
    " USING unnest(%s::uuid[], %s::uuid[], %s::uuid[]) AS u(task_id, tag_id, tenant_id)"
    " WHERE t.task_id = u.task_id AND t.tag_id = u.tag_id AND t.tenant_id = u.tenant_id"
)


def owned_columns(owned: set[Owned]) -> tuple[list[Id], list[Id]]:
    """The ids and the tenants of (id, tenant) pairs, as the deletes' two arrays."""
    ids, tenants = zip(*owned, strict=True)
    return list(ids), list(tenants)


LINK_COLUMNS = ("task_id", "tag_id", "tenant_id")
# Tables whose rows' JSON is kept by the query service, by revision.
_KEPT_AS_JSON = frozenset({"tasks"})


# Up to this many rows, a table's new rows go in one INSERT, one message, where COPY
# takes two round trips; past it (a rebuild's pages) COPY is cheaper per row.
INSERT_LIMIT = 500


async def add(
    conn: Conn, table: str, columns: tuple[str, ...], values: list[tuple[Any, ...]]
) -> None:
    """Rows no earlier page can hold (their ids are new), written without a merge."""
    if len(values) > INSERT_LIMIT:
        await copy(conn, sql.Identifier(table), columns, values)
    elif values:
        await conn.execute(insert(table, columns, values))


def insert(table: str, columns: tuple[str, ...], values: list[tuple[Any, ...]]) -> sql.Composed:
    """The rows inline, as JSON that PostgreSQL reads by the table's own row type, so the
    statement can share a message with others (no parameters)."""
    rows = orjson.dumps([dict(zip(columns, row, strict=True)) for row in values]).decode()
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    return sql.SQL(
        "INSERT INTO {table} ({columns}) SELECT {columns}"
        " FROM json_populate_recordset(NULL::{table}, {rows}::json)"
    ).format(table=sql.Identifier(table), columns=column_list, rows=sql.Literal(rows))


async def copy(
    conn: Conn, target: sql.Composable, columns: tuple[str, ...], values: list[tuple[Any, ...]]
) -> None:
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    async with (
        conn.cursor() as cur,
        cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, column_list)) as copy,
    ):
        for row in values:
            await copy.write_row(row)


async def copy_merge(
    conn: Conn, table: str, columns: tuple[str, ...], values: list[tuple[Any, ...]], key: str
) -> None:
    """COPY into a temporary table, then one upsert into the real one that empties it as
    it reads it: a transaction may merge into a table more than once (a batch applied one
    event at a time)."""
    staging = f"staging_{table}"
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    await conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        ).format(sql.Identifier(staging), sql.Identifier(table))
    )
    await copy(conn, sql.Identifier(staging), columns, values)
    updates = [
        sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c))
        for c in columns
        if c not in key.split(", ")
    ]
    if table in _KEPT_AS_JSON:
        # A rewritten row's kept JSON is stale (affected.py); a new row has none yet.
        updates.append(sql.SQL("revision = {}.revision + 1").format(sql.Identifier(table)))
    conflict = (
        sql.SQL("DO UPDATE SET {} WHERE {}.tenant_id = EXCLUDED.tenant_id").format(
            sql.SQL(", ").join(updates), sql.Identifier(table)
        )
        if updates and table != "task_tags"
        else sql.SQL("DO NOTHING")
    )
    await conn.execute(
        sql.SQL(
            "WITH staged AS (DELETE FROM {} RETURNING *)"
            " INSERT INTO {} ({}) SELECT {} FROM staged ON CONFLICT ({}) {}"
        ).format(
            sql.Identifier(staging),
            sql.Identifier(table),
            column_list,
            column_list,
            sql.SQL(key),
            conflict,
        )
    )

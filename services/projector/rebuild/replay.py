"""Replaying the event store into the shadow tables, a page at a time.

Each page is folded by the projection's rules (projection/fold.py) and written with COPY,
so memory holds one page whatever the number of events; the next page is read on a
second connection while this one is folded and written. Counts are recounted once, at
the end (projection/counts.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from services.projector.projection import counts, writing
from services.projector.projection.fold import fold
from services.projector.rebuild.progress import Progress
from services.projector.rebuild.shadow import SHADOW
from shared.database import EVENTS_TABLE
from shared.stored_events import decoding

PAGE = 20000
Conn = psycopg.AsyncConnection[tuple[Any, ...]]

# The page is cut before the JSON is taken apart, so a poor plan can cost a sort of the
# rows left, never the parsing of them all; the tenant filter has to parse first.
_EVENTS = sql.SQL(
    "SELECT {} FROM (SELECT * FROM {} WHERE notification_id > %s AND notification_id <= %s"
    " AND (%s::uuid IS NULL"
    " OR {}::uuid = %s::uuid)"
    " ORDER BY notification_id LIMIT %s) e {} ORDER BY notification_id"
).format(
    decoding.EVENT_COLUMNS,
    sql.Identifier(EVENTS_TABLE),
    decoding.STATE_TENANT_HEX,
    decoding.EVENT_JSON,
)


async def replay(
    conn: Conn, after: int, until: int, tenant: UUID | None, progress: Progress
) -> int:
    """Applies events (after, until] to the shadow tables, one transaction per page;
    returns the position reached. The next page is read on a second
    connection while this one is folded and written."""
    await conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(SHADOW)))
    pages: asyncio.Queue[list[tuple[Any, ...]]] = asyncio.Queue(maxsize=2)
    dsn = make_conninfo(conn.info.dsn, password=conn.info.password or None)
    reading = asyncio.create_task(_read_pages(dsn, after, until, tenant, pages))
    try:
        while rows := await pages.get():
            events = [decoding.from_row(row) for row in rows]
            async with conn.transaction():
                await writing.write(await fold(conn, events), conn)
            progress.advance(len(events))
        await reading
        async with conn.transaction(), conn.cursor() as cur:
            await counts.recount(cur)
    finally:
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
        await conn.execute("SET search_path = public")
    return until


async def _read_pages(
    dsn: str,
    after: int,
    until: int,
    tenant: UUID | None,
    pages: asyncio.Queue[list[tuple[Any, ...]]],
) -> None:
    """Keyset-paged reading of the store; an empty page marks the end."""
    key = str(tenant) if tenant else None
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as reader:
        decoding.text_uuids(reader)
        while True:
            cur = await reader.execute(_EVENTS, (after, until, key, key, PAGE))
            rows = await cur.fetchall()
            await pages.put(rows)
            if not rows:
                return
            after = int(rows[-1][0])


async def store_position(conn: Conn) -> int:
    cur = await conn.execute(
        sql.SQL("SELECT COALESCE(max(notification_id), 0) FROM {}").format(
            sql.Identifier(EVENTS_TABLE)
        )
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def count(conn: Conn, after: int, until: int, tenant: UUID | None) -> int:
    if tenant is None:
        return max(until - after, 0)
    key = tenant.hex
    cur = await conn.execute(
        sql.SQL(
            "SELECT count(*) FROM {} WHERE notification_id > %s AND notification_id <= %s"
            " AND {} = %s"
        ).format(sql.Identifier(EVENTS_TABLE), decoding.STATE_TENANT_HEX),
        (after, until, key),
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0

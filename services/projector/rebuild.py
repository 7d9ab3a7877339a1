"""`taskstream rebuild`: the read model replayed from the event store, swapped in live.

The event store, not the stream, is the source of truth. Events are replayed in
position order into shadow tables in the schema `taskstream_rebuild` (the rebuild
connection's search_path points there), a page at a time: each page is folded in
memory and written with COPY (bulk.py), so memory holds one page whatever the number
of events.

The swap takes the live read tables' locks for a moment (queries wait, they do not
fail), replays whatever the live projector applied meanwhile so the shadow is at
least as far, then exchanges the tables and moves the tracked position to the
rebuilt one. The live projector, which re-reads the tracked position in every batch,
skips what the rebuild already holds, so nothing is lost or applied twice.

A rebuild that is interrupted leaves only the shadow schema behind; the next one drops
it and starts again. `--tenant` rebuilds one tenant's rows: the shadow holds only that
tenant, and the swap replaces only that tenant's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from services.projector import bulk, bulk_writes
from shared.database import EVENTS_TABLE
from shared.projection_notice import CHANNEL, ProjectionNotice
from shared.stored_events import decoding as stored
from shared.tracking import TRACKING_NAME

logger = logging.getLogger(__name__)
SHADOW = "taskstream_rebuild"
READ_TABLES = (
    "projects",
    "tasks",
    "tags",
    "task_tags",
    "project_documents",
    "task_documents",
)
PAGE = 20000
Conn = psycopg.AsyncConnection[tuple[Any, ...]]

# The page is cut before the JSON is taken apart, so a poor plan can cost a sort of the
# rows left, never the parsing of them all; the tenant filter has to parse first.
_EVENTS = sql.SQL(
    "SELECT {} FROM (SELECT * FROM {} WHERE notification_id > %s AND notification_id <= %s"
    " AND (%s::uuid IS NULL"
    " OR (convert_from(state, 'UTF8')::jsonb #>> '{{tenant_id,_data_}}')::uuid = %s::uuid)"
    " ORDER BY notification_id LIMIT %s) e {} ORDER BY notification_id"
).format(stored.EVENT_COLUMNS, sql.Identifier(EVENTS_TABLE), stored.EVENT_JSON)


@dataclass(frozen=True)
class Outcome:
    events: int
    position: int
    seconds: float


class Progress:
    """Events done of total, rate and time left: one rewritten line on a terminal,
    a log line every few seconds otherwise."""

    def __init__(self, total: int, out: TextIO = sys.stderr, every: float = 5.0) -> None:
        self.total = max(total, 1)
        self.done = 0
        self._out = out
        self._tty = out.isatty()
        self._every = every if not self._tty else 0.2
        self._started = self._last = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._report(now)

    def finish(self) -> None:
        self._report(time.monotonic())
        if self._tty:
            self._out.write("\n")

    def _report(self, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else float("inf")
        text = (
            f"rebuild: {self.done:,} of {self.total:,} events ({self.done / self.total:.0%}), "
            f"{rate:,.0f} events/s, {left:,.0f} s left"
        )
        if self._tty:
            self._out.write("\r" + text.ljust(100))
            self._out.flush()
        else:
            logger.info(
                "rebuild progress",
                extra={"done": self.done, "total": self.total, "rate": round(rate), "left_s": left},
            )


async def rebuild(conninfo: str, tenant: UUID | None = None, out: TextIO = sys.stderr) -> Outcome:
    started = time.monotonic()
    async with await psycopg.AsyncConnection.connect(
        conninfo, autocommit=True, options="-c synchronous_commit=off"
    ) as conn:
        stored.text_uuids(conn)
        # Pages are read in notification_id order through its index; without current
        # statistics (a store just bulk-loaded) the planner sorts all the rows left on
        # every page instead, and the replay slows down with the square of the store.
        await conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(EVENTS_TABLE)))
        indexes = await _prepare_shadow(conn)
        target = await _store_position(conn)
        total = await _count(conn, 0, target, tenant)
        progress = Progress(total, out)
        logger.info(
            "rebuild started",
            extra={"events": total, "up_to": target, "tenant": str(tenant) if tenant else None},
        )
        position = await _replay(conn, 0, target, tenant, progress)
        await _build_indexes(conn, indexes)
        position, events = await _swap(conn, position, tenant, progress)
        progress.finish()
    outcome = Outcome(events, position, time.monotonic() - started)
    logger.info(
        "rebuild finished",
        extra={
            "events": outcome.events,
            "position": position,
            "seconds": round(outcome.seconds, 1),
        },
    )
    return outcome


async def _prepare_shadow(conn: Conn) -> list[str]:
    """Fresh, empty shadow tables shaped exactly like the live ones, with their primary
    keys. The other indexes are returned, to be built once the rows are in: one sort is
    far cheaper than keeping them up to date row by row. Names are kept, so the swapped
    tables are indistinguishable from what the migrations made."""
    later: list[str] = []
    async with conn.transaction():
        await conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SHADOW))
        )
        await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SHADOW)))
        for table in READ_TABLES:
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE {}.{} (LIKE public.{} INCLUDING DEFAULTS INCLUDING IDENTITY"
                    " INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
                ).format(sql.Identifier(SHADOW), sql.Identifier(table), sql.Identifier(table))
            )
            cur = await conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype IN ('p', 'u')",
                (f"public.{table}",),
            )
            for name, definition in await cur.fetchall():
                await conn.execute(
                    sql.SQL("ALTER TABLE {}.{} ADD CONSTRAINT {} {}").format(
                        sql.Identifier(SHADOW),
                        sql.Identifier(table),
                        sql.Identifier(name),
                        sql.SQL(definition),
                    )
                )
            cur = await conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint"
                " WHERE conrelid = %s::regclass)",
                (table, f"public.{table}"),
            )
            later += [
                str(definition).replace(" ON public.", f" ON {SHADOW}.")
                for (definition,) in await cur.fetchall()
            ]
    return later


async def _build_indexes(conn: Conn, definitions: list[str]) -> None:
    for definition in definitions:
        await conn.execute(definition)


async def _replay(
    conn: Conn, after: int, until: int, tenant: UUID | None, progress: Progress
) -> int:
    """Applies events (after, until] to the shadow tables, one transaction per page
    (bulk.py); returns the position reached. The next page is read on a second
    connection while this one is folded and written."""
    await conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(SHADOW)))
    pages: asyncio.Queue[list[tuple[Any, ...]]] = asyncio.Queue(maxsize=2)
    dsn = make_conninfo(conn.info.dsn, password=conn.info.password or None)
    reading = asyncio.create_task(_read_pages(dsn, after, until, tenant, pages))
    try:
        while rows := await pages.get():
            events = [stored.from_row(row) for row in rows]
            async with conn.transaction():
                page = bulk.Page()
                await page.load(conn, events)
                for event in events:
                    page.fold(event)
                await page.write(conn)
            progress.advance(len(events))
        await reading
        async with conn.transaction():
            await bulk_writes.recount(conn)
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
        stored.text_uuids(reader)
        while True:
            cur = await reader.execute(_EVENTS, (after, until, key, key, PAGE))
            rows = await cur.fetchall()
            await pages.put(rows)
            if not rows:
                return
            after = int(rows[-1][0])


async def _swap(
    conn: Conn, position: int, tenant: UUID | None, progress: Progress
) -> tuple[int, int]:
    """Catches up with the store, then exchanges the tables under the live tables' locks."""
    while True:
        latest = await _store_position(conn)
        if latest - position <= PAGE:
            break
        progress.total += await _count(conn, position, latest, tenant)
        position = await _replay(conn, position, latest, tenant, progress)
    async with conn.transaction():
        # The projector locks its tracking row first, then the tables: same order here,
        # or each would wait for the other.
        await conn.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                sql.SQL(", ").join(
                    sql.Identifier("public", t) for t in ("projection_tracking", *READ_TABLES)
                )
            )
        )
        live = await _tracked_position(conn)
        latest = max(live, await _store_position(conn)) if tenant is None else live
        progress.total += await _count(conn, position, latest, tenant)
        position = await _replay(conn, position, latest, tenant, progress)
        if tenant is None:
            await _exchange_tables(conn)
            await conn.execute(
                "INSERT INTO projection_tracking (name, stream_sequence, position)"
                " VALUES (%s, 0, %s) ON CONFLICT (name) DO UPDATE"
                " SET position = EXCLUDED.position, updated_at = now()",
                (TRACKING_NAME, position),
            )
        else:
            await _replace_tenant(conn, tenant)
        await conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(SHADOW)))
        notice = ProjectionNotice(position, None if tenant is None else frozenset({str(tenant)}))
        await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, notice.payload()))
    return position, progress.done


async def _exchange_tables(conn: Conn) -> None:
    for table in READ_TABLES:
        await conn.execute(sql.SQL("DROP TABLE public.{}").format(sql.Identifier(table)))
        await conn.execute(
            sql.SQL("ALTER TABLE {}.{} SET SCHEMA public").format(
                sql.Identifier(SHADOW), sql.Identifier(table)
            )
        )


async def _replace_tenant(conn: Conn, tenant: UUID) -> None:
    for table in reversed(READ_TABLES):
        await conn.execute(
            sql.SQL("DELETE FROM public.{} WHERE tenant_id = %s").format(sql.Identifier(table)),
            (tenant,),
        )
    for table in READ_TABLES:
        await conn.execute(
            sql.SQL("INSERT INTO public.{} SELECT * FROM {}.{} WHERE tenant_id = %s").format(
                sql.Identifier(table), sql.Identifier(SHADOW), sql.Identifier(table)
            ),
            (tenant,),
        )


async def _store_position(conn: Conn) -> int:
    cur = await conn.execute(
        sql.SQL("SELECT COALESCE(max(notification_id), 0) FROM {}").format(
            sql.Identifier(EVENTS_TABLE)
        )
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _tracked_position(conn: Conn) -> int:
    cur = await conn.execute(
        "SELECT position FROM projection_tracking WHERE name = %s", (TRACKING_NAME,)
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _count(conn: Conn, after: int, until: int, tenant: UUID | None) -> int:
    if tenant is None:
        return max(until - after, 0)
    key = tenant.hex
    cur = await conn.execute(
        sql.SQL(
            "SELECT count(*) FROM {} WHERE notification_id > %s AND notification_id <= %s"
            " AND convert_from(state, 'UTF8')::jsonb #>> '{{tenant_id,_data_}}' = %s"
        ).format(sql.Identifier(EVENTS_TABLE)),
        (after, until, key),
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0

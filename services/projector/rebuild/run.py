"""`taskstream rebuild`: the read model replayed from the event store, swapped in live.

The event store, not the stream, is the source of truth. Events are replayed in
position order into shadow tables in the schema `taskstream_rebuild` (the rebuild
connection's search_path points there), a page at a time (replay.py), by the same
rules as the live projector (projection/rules.py).

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

import logging
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO
from uuid import UUID

import psycopg
from psycopg import sql

from services.projector.rebuild.progress import Progress
from services.projector.rebuild.replay import PAGE, count, replay, store_position
from services.projector.rebuild.shadow import (
    READ_TABLES,
    SHADOW,
    build_indexes,
    exchange_tables,
    prepare_shadow,
    replace_tenant,
)
from shared.database import EVENTS_TABLE
from shared.projection_notice import CHANNEL, ProjectionNotice
from shared.stored_events import decoding
from shared.tracking import TRACKING_NAME

logger = logging.getLogger(__name__)
Conn = psycopg.AsyncConnection[tuple[Any, ...]]


@dataclass(frozen=True)
class Outcome:
    events: int
    position: int
    seconds: float


async def rebuild(conninfo: str, tenant: UUID | None = None, out: TextIO = sys.stderr) -> Outcome:
    started = time.monotonic()
    async with await psycopg.AsyncConnection.connect(
        conninfo, autocommit=True, options="-c synchronous_commit=off"
    ) as conn:
        decoding.text_uuids(conn)
        # Pages are read in notification_id order through its index; without current
        # statistics (a store just bulk-loaded) the planner sorts all the rows left on
        # every page instead, and the replay slows down with the square of the store.
        await conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(EVENTS_TABLE)))
        indexes = await prepare_shadow(conn)
        target = await store_position(conn)
        total = await count(conn, 0, target, tenant)
        progress = Progress(total, out)
        logger.info(
            "rebuild started",
            extra={"events": total, "up_to": target, "tenant": str(tenant) if tenant else None},
        )
        position = await replay(conn, 0, target, tenant, progress)
        await build_indexes(conn, indexes)
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


async def _swap(
    conn: Conn, position: int, tenant: UUID | None, progress: Progress
) -> tuple[int, int]:
    """Catches up with the store, then exchanges the tables under the live tables' locks."""
    while True:
        latest = await store_position(conn)
        if latest - position <= PAGE:
            break
        progress.total += await count(conn, position, latest, tenant)
        position = await replay(conn, position, latest, tenant, progress)
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
        latest = max(live, await store_position(conn)) if tenant is None else live
        progress.total += await count(conn, position, latest, tenant)
        position = await replay(conn, position, latest, tenant, progress)
        if tenant is None:
            await exchange_tables(conn)
            await conn.execute(
                "INSERT INTO projection_tracking (name, stream_sequence, position)"
                " VALUES (%s, 0, %s) ON CONFLICT (name) DO UPDATE"
                " SET position = EXCLUDED.position, updated_at = now()",
                (TRACKING_NAME, position),
            )
        else:
            await replace_tenant(conn, tenant)
        await conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(SHADOW)))
        notice = ProjectionNotice(position, None if tenant is None else frozenset({str(tenant)}))
        await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, notice.payload()))
    return position, progress.done


async def _tracked_position(conn: Conn) -> int:
    cur = await conn.execute(
        "SELECT position FROM projection_tracking WHERE name = %s", (TRACKING_NAME,)
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0

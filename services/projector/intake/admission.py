"""Which messages of a batch are the event store's events: decided in bulk, against it.

The stream is a copy, and whoever can publish on it can put anything there. A message
is applied only when the store holds its event (same id, position, tenant, aggregate,
version and type) and that event is the store's next one after the tracked position;
what is applied is then the store's version of it, its data read from the store, never
from the message. A message that names an event already applied is a duplicate,
skipped. Everything else is set aside with the reason (screening.py).

One query per batch, in the message that opens its transaction: the next events the
store holds after the tracked position (as many as the batch claims beyond it, through
the positions' index), and the stored events at the positions the batch claims at or
before it, to tell duplicates from forgeries. A second look, at the few positions that
answers nothing about, is needed only for claims past all of those (`beyond`) or
overtaken by a rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import AsyncCursor, sql

from services.projector.intake import screening, store_reads
from services.projector.intake.dead_letters import DeadLetter, is_the_messages_fault
from services.projector.intake.incoming import Incoming
from services.projector.intake.screening import Screened, beyond, claim
from services.projector.intake.store_reads import Claim, Row
from services.projector.tracking import LOCK_TRACKING, TRACKED, Tracking, committed
from shared.events.identity import Identity

Cursor = AsyncCursor[tuple[Any, ...]]


async def admit(
    cur: Cursor,
    batch: Sequence[Incoming],
    claims: Sequence[Claim],
    tracking: Tracking,
) -> tuple[int, Screened]:
    """Opens the batch's transaction, locks the tracking row and reads the store's events
    in the same message, then screens the batch against them; returns the committed
    position and the verdicts."""
    since = tracking.position
    limit = store_reads.window_size(claims, since)
    # From the committed position, which a rebuild may have moved past this one.
    start = sql.SQL("GREATEST({}, ({}))").format(sql.Literal(since), TRACKED)
    events = store_reads.stored_events(claims, since, start)
    await cur.execute(sql.SQL("BEGIN; {}; {}").format(LOCK_TRACKING, events))
    cur.nextset()
    after = committed(await cur.fetchone(), tracking).position
    cur.nextset()
    rows = await cur.fetchall()
    return after, await checked(cur, batch, claims, since, after, rows, limit)


async def checked(
    cur: Cursor,
    batch: Sequence[Incoming],
    claims: Sequence[Claim],
    since: int,
    after: int,
    rows: list[Row],
    limit: int,
) -> Screened:
    """The verdicts, once the store's events at the claimed positions `rows` cannot
    answer for are read too: rarely any (claims a rebuild overtook, from `since` to the
    committed `after`, and claims past a full window)."""
    others = [
        c.position for c in claims if isinstance(c, Identity) and since < c.position <= after
    ] + beyond(claims, after, rows, limit)
    if others:
        await cur.execute(store_reads.at_positions(others))
        rows += await cur.fetchall()
    return screening.screen(batch, claims, after, rows)


async def screen_each(
    conn: psycopg.AsyncConnection[Any], cur: Cursor, batch: Sequence[Incoming], after: int
) -> Screened:
    """The batch screened a message at a time, each under a savepoint, in the
    transaction `cur` is in: whatever screening one raises (its content's doing) sets
    that one aside, and no other."""
    screened = Screened()
    for message in batch:
        claims = [claim(message)]
        try:
            async with conn.transaction():
                await cur.execute(store_reads.stored_events(claims, after))
                rows = await cur.fetchall()
                limit = store_reads.window_size(claims, after)
                one = await checked(cur, [message], claims, after, after, rows, limit)
        except Exception as e:
            if not is_the_messages_fault(e, conn):
                raise
            reason = f"could not be checked against the event store: {e!r}"
            one = Screened(set_aside=[DeadLetter(message, reason)])
        screened.admitted += one.admitted
        screened.set_aside += one.set_aside
        screened.duplicates += one.duplicates
        after = one.admitted[-1].position if one.admitted else after
    return screened

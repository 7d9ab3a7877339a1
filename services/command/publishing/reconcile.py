"""Where the relay stands in the stream: what the stream really holds, checked against the
event store, never taken from a message on trust.

The relay once resumed after the position of the stream's last message that looked
like a taskstream event: a forged one with a high position made it skip real events,
and after a republish (old events appended again) it resumed far back, where every
publish was a duplicate. Now the restart point is the relay's own record (the lease
row's cursor: the event at `position` is the message at `sequence`). If the stream
still holds that message, the relay reads on from there and counts only the store's
next events, each in turn, exact in id, position, type, tenant, aggregate and
version; anything else in between (foreign, forged, republished copies) is passed
over. If the stream no longer holds it (deleted, recreated, purged), the relay looks
back from the stream's end for the highest event the store holds, or starts from
the beginning of the store when there is none.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from psycopg import sql

from services.command.publishing.claims import PAGE, Claim, claim_of, read_claims
from services.command.publishing.encoding import encode_row
from services.command.publishing.lease import Cursor
from shared.database import EVENTS_TABLE
from shared.events.identity import Identity
from shared.stored_events.decoding import STATE_AFTER, STATE_COLUMNS

logger = logging.getLogger(__name__)
_AT = sql.SQL("SELECT {} FROM {} WHERE notification_id = ANY(%s)").format(
    STATE_COLUMNS, sql.Identifier(EVENTS_TABLE)
)
Connection = psycopg.AsyncConnection[tuple[object, ...]]


def _stored(rows: Sequence[tuple[object, ...]]) -> list[tuple[str, Identity]]:
    """Each row's subject and identity, as the relay publishes them."""
    out = []
    for row in rows:
        message = encode_row(row)  # type: ignore[arg-type]
        out.append((message.subject, Identity.from_bytes(message.payload)))
    return out


async def reconcile(
    conn: Connection, nc: Client, js: JetStreamContext, stream: str, cursor: Cursor, fence: int
) -> tuple[Cursor, int]:
    """The relay's cursor and the stream sequence to publish after, from the stream as it
    is. `fence` is the last sequence the relay has accounted for (its own batches and
    earlier reconciling), so only what lies beyond it is read."""
    info = await js.stream_info(stream)
    first, last = info.state.first_seq, info.state.last_seq
    if cursor.sequence and cursor.sequence <= last and await _holds(js, stream, cursor):
        start = (fence if cursor.sequence <= fence <= last else cursor.sequence) + 1
        async for claims in read_claims(nc, js, stream, start, last):
            cursor = await _extend(conn, cursor, claims)
        return cursor, last
    if cursor.sequence:
        logger.warning(
            "the stream no longer holds the relay's last recorded event; looking back",
            extra={"sequence": cursor.sequence, "position": cursor.position},
        )
    return await _look_back(conn, nc, js, stream, first, last), last


async def _holds(js: JetStreamContext, stream: str, cursor: Cursor) -> bool:
    try:
        message = await js.get_msg(stream, seq=cursor.sequence)
    except NotFoundError:
        return False
    claim = claim_of(cursor.sequence, message.subject or "", message.data or b"")
    return claim is not None and claim.cursor() == cursor


async def _extend(conn: Connection, cursor: Cursor, claims: list[Claim]) -> Cursor:
    """Moves the cursor over the store's next events, in store order, as the stream holds
    them; the first one missing stops it (what follows is then published again)."""
    later = [claim for claim in claims if claim.position > cursor.position]
    if not later:
        return cursor
    cur = await conn.execute(STATE_AFTER, (cursor.position, len(later)))
    expected = _stored(await cur.fetchall())
    matched = 0
    for claim in later:
        if matched < len(expected) and (claim.subject, claim.identity) == expected[matched]:
            cursor = claim.cursor()
            matched += 1
    return cursor


async def _look_back(
    conn: Connection, nc: Client, js: JetStreamContext, stream: str, first: int, last: int
) -> Cursor:
    """The highest event the store holds in the last page of the stream that has any."""
    high = last
    while high >= max(first, 1):
        low = max(first, high - PAGE + 1)
        claims = [claim async for page in read_claims(nc, js, stream, low, high) for claim in page]
        if claims:
            cur = await conn.execute(_AT, ([claim.position for claim in claims],))
            stored = set(_stored(await cur.fetchall()))
            genuine = [c for c in claims if (c.subject, c.identity) in stored]
            if genuine:
                return max(genuine, key=lambda c: c.position).cursor()
        high = low - 1
    return Cursor()

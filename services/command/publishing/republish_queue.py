"""The `taskstream republish` requests, as the leading relay works through them.

A republish that published on its own, beside the relay, moved the stream under the
relay's expected sequence at every message: the relay stalled until it stopped (and,
when it resumed after an old copy, until JetStream's duplicate window expired). So
the leading relay alone publishes, and carries out each request between its live
batches: a live event waits for at most one batch of copies. Copies carry their
event's `Nats-Msg-Id`, unless JetStream still remembers one of their batch's ids (it
published them in the last two minutes): that batch goes out without ids rather than
be dropped. The projector skips positions it already applied and subscribers
deduplicate by the CloudEvent's id (docs/events.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from services.command.publishing.lease import Lease, LeaseLost
from shared.database import EVENTS_TABLE
from shared.stored_events.decoding import STATE_COLUMNS

CHANNEL = "relay_republish"
_NEXT_REQUEST = """
SELECT id, next_position, through_position FROM relay_republish
WHERE stream = %s AND finished_at IS NULL ORDER BY id LIMIT 1
"""
_ROWS = sql.SQL(
    "SELECT {} FROM {} WHERE notification_id >= %s AND notification_id <= %s"
    " ORDER BY notification_id LIMIT %s"
).format(STATE_COLUMNS, sql.Identifier(EVENTS_TABLE))
# Only the lease's holder records progress: a deposed leader's late batch was fenced off.
_ADVANCE = """
UPDATE relay_republish
SET next_position = %(next)s, published = published + %(count)s,
    finished_at = CASE WHEN %(next)s > through_position THEN now() END
WHERE id = %(id)s AND EXISTS (
    SELECT FROM relay_lease WHERE stream = %(stream)s AND holder = %(holder)s AND term = %(term)s
)
"""
Connection = psycopg.AsyncConnection[tuple[object, ...]]
Row = tuple[object, ...]


@dataclass(frozen=True)
class Chunk:
    request: int
    rows: list[Row]

    @property
    def next_position(self) -> int:
        return int(str(self.rows[-1][4])) + 1


class RepublishQueue:
    """`pending` is set whenever a request may have arrived (the relay's start, a notice
    on CHANNEL, each lease renewal) and cleared when none is left, so an idle queue
    costs the relay no query."""

    def __init__(self, lease: Lease) -> None:
        self._lease = lease
        self.pending = True

    async def next_chunk(self, conn: Connection, published: int, limit: int) -> Chunk | None:
        """The next events to copy, none past `published` (the live events come first);
        None when there is nothing to copy now."""
        while self.pending:
            cur = await conn.execute(_NEXT_REQUEST, (self._lease.stream,))
            request = await cur.fetchone()
            if request is None:
                self.pending = False
                return None
            number, start, through = (int(str(value)) for value in request)
            end = min(through, published)
            cur = await conn.execute(_ROWS, (start, end, limit))
            rows = await cur.fetchall()
            if rows:
                return Chunk(number, rows)
            if end < through:
                return None
            await self._record(conn, number, through + 1, 0)
        return None

    async def advance(self, conn: Connection, chunk: Chunk) -> None:
        """Records that `chunk` is in the stream."""
        await self._record(conn, chunk.request, chunk.next_position, len(chunk.rows))

    async def _record(self, conn: Connection, request: int, next_position: int, count: int) -> None:
        lease = self._lease
        cur = await conn.execute(
            _ADVANCE,
            {
                "id": request,
                "next": next_position,
                "count": count,
                "stream": lease.stream,
                "holder": lease.holder,
                "term": lease.term,
            },
        )
        if cur.rowcount != 1:
            raise LeaseLost(f"relay lease of {lease.stream} (term {lease.term}) taken over")

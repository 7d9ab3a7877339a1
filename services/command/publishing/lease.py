"""Relay leadership: a lease in PostgreSQL that its holder renews while it makes progress.

A session advisory lock (what the relay held before) lasts as long as its connection,
and a frozen process keeps its connection: a relay stopped with SIGSTOP blocked
publishing for as long as it was stopped. A lease instead ends `seconds` after its
last renewal, by the database's clock, and only the publishing loop renews it, so a
leader that stops making progress (frozen, cut off, stuck) loses it. A leader whose
database session is gone (killed, crashed) has lost it at once: the standby need not
wait out the lease.

Whatever a deposed leader still publishes is fenced off by the stream itself (every
batch names the stream sequence it must follow), so the lease decides who publishes
promptly, not what the stream holds. The row also keeps the relay's place in the
stream (`Cursor`) at each renewal, the restart point checked by reconcile.py.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass

import psycopg

logger = logging.getLogger(__name__)
DEFAULT_LEASE_SECONDS = 10.0
# A busy leader records its place at least this often, so that whoever takes over
# reads little of the stream to find where publishing stopped.
RECORD_EVERY_EVENTS = 10_000

_ACQUIRE = """
INSERT INTO relay_lease AS l (stream, holder, holder_pid, term, expires_at)
VALUES (%(stream)s, %(holder)s, pg_backend_pid(), 1, now() + make_interval(secs => %(seconds)s))
ON CONFLICT (stream) DO UPDATE
SET holder = excluded.holder, holder_pid = excluded.holder_pid, term = l.term + 1,
    expires_at = excluded.expires_at
WHERE l.expires_at <= now() OR l.holder = excluded.holder
   OR NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = l.holder_pid)
RETURNING term, stream_sequence, position, event_id
"""
_RENEW = """
UPDATE relay_lease
SET expires_at = now() + make_interval(secs => %(seconds)s),
    stream_sequence = %(sequence)s, position = %(position)s, event_id = %(event_id)s
WHERE stream = %(stream)s AND holder = %(holder)s AND term = %(term)s
RETURNING term
"""
_RELEASE = """
UPDATE relay_lease
SET expires_at = now(), stream_sequence = %(sequence)s, position = %(position)s,
    event_id = %(event_id)s
WHERE stream = %(stream)s AND holder = %(holder)s AND term = %(term)s
"""


def standby_seconds(lease_seconds: float) -> float:
    """How often a standby looks for a lease to take: a frozen leader's publishing
    resumes elsewhere at most `lease_seconds` plus this after its last renewal."""
    return min(1.0, lease_seconds / 5)


class LeaseLost(Exception):
    """Another relay holds the lease now: stop publishing and stand by."""


@dataclass(frozen=True)
class Cursor:
    """Every event up to `position` is in the stream, the one at `position` being the
    message at `sequence` with id `event_id` (0 and None: nothing published yet)."""

    sequence: int = 0
    position: int = 0
    event_id: str | None = None


class Lease:
    """One relay's claim to publish to one stream, on that relay's own connection."""

    def __init__(self, stream: str, seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self.stream = stream
        self.seconds = seconds
        self.holder = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.term = 0
        self._renewed_at = 0.0
        self._recorded: Cursor = Cursor()

    async def acquire(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> Cursor | None:
        """The stream's recorded cursor if this relay now holds the lease, else None."""
        cur = await conn.execute(
            _ACQUIRE, {"stream": self.stream, "holder": self.holder, "seconds": self.seconds}
        )
        row = await cur.fetchone()
        if row is None:
            return None
        term, sequence, position, event_id = row
        self.term = int(str(term))
        self._renewed_at = time.monotonic()
        self._recorded = Cursor(
            int(str(sequence)), int(str(position)), None if event_id is None else str(event_id)
        )
        logger.info("relay lease acquired", extra={"holder": self.holder, "term": self.term})
        return self._recorded

    def due(self, cursor: Cursor) -> bool:
        """Whether to renew before publishing on: a third of the lease has passed, or a
        long run of events went out since the place was last recorded."""
        return (
            time.monotonic() - self._renewed_at >= self.seconds / 3
            or cursor.position - self._recorded.position >= RECORD_EVERY_EVENTS
        )

    async def renew(
        self, conn: psycopg.AsyncConnection[tuple[object, ...]], cursor: Cursor
    ) -> None:
        """Raises LeaseLost if another relay took the lease meanwhile (this one was frozen
        or cut off for longer than the lease)."""
        cur = await conn.execute(_RENEW, self._parameters(cursor))
        if await cur.fetchone() is None:
            raise LeaseLost(f"relay lease of {self.stream} (term {self.term}) taken over")
        self._renewed_at = time.monotonic()
        self._recorded = cursor

    async def release(
        self, conn: psycopg.AsyncConnection[tuple[object, ...]], cursor: Cursor
    ) -> None:
        """Hands over at once: a standby takes the lease at its next look."""
        cur = await conn.execute(_RELEASE, self._parameters(cursor))
        if cur.rowcount:
            logger.info("relay lease released", extra={"holder": self.holder, "term": self.term})

    def _parameters(self, cursor: Cursor) -> dict[str, object]:
        return {
            "stream": self.stream,
            "holder": self.holder,
            "term": self.term,
            "seconds": self.seconds,
            "sequence": cursor.sequence,
            "position": cursor.position,
            "event_id": None if cursor.event_id is None else uuid.UUID(cursor.event_id),
        }

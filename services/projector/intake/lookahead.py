"""The event store's next events, read while the projector applies the batch before.

Every batch is screened against the store's own events, taken apart by PostgreSQL
(admission.py): read in the batch's first message, PostgreSQL's parsing of every event
was on the batch's path. While the projector catches up (large batches), the events
after the position a batch will reach are read on a connection of their own while that
batch is folded and written, on the core the fold leaves free. Small batches (a
projector keeping up) read them in their first message: ahead of a live stream there is
nothing recorded yet to read.

Rows read ahead are used only when they can answer for the next batch as the
first-message read would: read from the position it starts at, and a full read (the
store held at least as many events as were asked for, at least one per message claiming
a position beyond it). A short read could miss events recorded after it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import psycopg
from psycopg.types.string import TextLoader

from services.projector.intake import store_reads

# Batches at least this large read the next one's events ahead.
READ_AHEAD_FROM = 200


@dataclass
class _Read:
    after: int
    count: int
    rows: asyncio.Task[list[store_reads.Row]]


class Lookahead:
    def __init__(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        if not conn.autocommit:
            raise ValueError("Lookahead reads outside transactions: give it autocommit=True")
        self._conn = conn
        conn.adapters.register_loader("uuid", TextLoader)
        self._read: _Read | None = None
        self.used = 0
        """How many reads a batch took (the rest were not full or not its own)."""

    def start(self, after: int, count: int) -> None:
        """Reads the `count` events after `after` in the background, when `count` is
        large enough to be worth it; replaces any read not taken."""
        self.drop()
        if count >= READ_AHEAD_FROM:
            self._read = _Read(after, count, asyncio.create_task(self._fetch(after, count)))

    async def take(self, after: int, needed: int) -> list[store_reads.Row] | None:
        """The rows read ahead, if they answer for a batch that starts at `after` and
        claims `needed` positions beyond it; else None. A failed read raises here."""
        read, self._read = self._read, None
        if read is None:
            return None
        rows = await read.rows
        if read.after != after or read.count < needed or len(rows) < read.count:
            return None
        self.used += 1
        return rows

    def drop(self) -> None:
        """Forgets a read not taken (the connection cancels it if it is still running;
        a failure of it is nobody's to report: the next read fails the same way)."""
        if self._read is not None:
            rows = self._read.rows
            rows.cancel()
            rows.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._read = None

    async def _fetch(self, after: int, count: int) -> list[store_reads.Row]:
        cur = await self._conn.execute(store_reads.window(after, count))
        return await cur.fetchall()

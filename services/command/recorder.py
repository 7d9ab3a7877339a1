"""The library's PostgreSQL recorder, with our batch checks inside its transaction.

The library locks the events table in every inserting transaction so that positions
become visible in commit order. We run the cross-aggregate checks (changes.Batch)
right after that lock and write the side tables (tag names, idempotency answers) in
the same transaction as the events: all of it commits, or none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row

from services.command.changes import Batch


class TaskstreamRecorder(PostgresApplicationRecorder):
    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        batch: Batch | None = kwargs.get("batch")
        self._lock_table(curs)
        self._notify_channel(curs)
        if batch is not None:
            with curs.connection.cursor(row_factory=tuple_row) as side:
                batch.verify(side)
                batch.write_before_events(side)
        PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events, **kwargs)
        if batch is not None:
            with curs.connection.cursor(row_factory=tuple_row) as side:
                batch.write_after_events(side)

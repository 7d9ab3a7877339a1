"""Recording a batch of events as eventsourcing 9.5's recorders do, with the batch's own
checks and side writes inside the transaction that records its events.

The one module that knows the library's internals for writing (pinned to the 9.5 series;
tests/contract/test_recording.py holds it to the library's own `save()` and mapper):
- PostgreSQL: the recorder's table lock statements and NOTIFY channel, with which the
  group-commit writer opens its own transactions; its `_insert_stored_events` hook, where
  a batch's checks run right after that lock; the events table's four columns, inserted
  as arrays of plain types rather than the library's composite type (the same statement
  shape, ids returned in order, at a fraction of the encoding cost per event);
- in memory: the POPO recorder's `_insert_events`, under its database lock, and its
  index of versions per aggregate.
A batch travels to the recorder as the `guard` keyword of `Application.save()`, which the
library hands on to `insert_events` untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor, sql
from psycopg.rows import DictRow, tuple_row

from shared.database import EVENTS_TABLE

LIBRARY_SERIES = "9.5"
GUARD = "guard"

INSERT_EVENTS = sql.SQL(
    "INSERT INTO {} (originator_id, originator_version, topic, state)"
    " SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[])"
    " RETURNING notification_id"
).format(sql.Identifier(EVENTS_TABLE))

Columns = tuple[list[UUID | str], list[int], list[str], list[bytes]]


class Guard(Protocol):
    """What a batch checks and writes beside its events; raising refuses the whole save."""

    def before_events(self, cur: Cursor[tuple[Any, ...]]) -> None: ...

    def after_events(self, cur: Cursor[tuple[Any, ...]]) -> None: ...

    def in_memory(self, tables: dict[str, Any], version_of: Callable[[UUID], int]) -> None: ...


def columns(stored: Sequence[StoredEvent]) -> Columns:
    """The parameters of INSERT_EVENTS."""
    return (
        [s.originator_id for s in stored],
        [s.originator_version for s in stored],
        [s.topic for s in stored],
        [s.state for s in stored],
    )


def transaction_opening(recorder: ApplicationRecorder) -> sql.Composed:
    """BEGIN, the recorder's lock statements and its NOTIFY, as one message: each message
    costs far more here than the statements in it, and NOTIFY waits for the commit."""
    if not isinstance(recorder, PostgresApplicationRecorder):
        raise TypeError(f"group commit needs the PostgreSQL recorder, not {type(recorder)}")
    notify = sql.SQL("NOTIFY {}").format(sql.Identifier(recorder.channel_name))
    lock: list[sql.Composable] = list(recorder.lock_table_statements)  # type: ignore[arg-type]
    return sql.SQL("; ").join([sql.SQL("BEGIN"), *lock, notify])


class PostgresBatchRecorder(PostgresApplicationRecorder):
    """The library's recorder, its transaction holding the guard's checks (after the
    table lock, so no other write slips between check and insert) and side writes."""

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        guard: Guard | None = kwargs.get(GUARD)
        self._lock_table(curs)
        self._notify_channel(curs)
        if guard is not None:
            with curs.connection.cursor(row_factory=tuple_row) as side:
                guard.before_events(side)
        curs.execute(INSERT_EVENTS, columns(stored_events))
        if guard is not None:
            with curs.connection.cursor(row_factory=tuple_row) as side:
                guard.after_events(side)


class InMemoryBatchRecorder(POPOApplicationRecorder):
    """The library's in-memory recorder, keeping a guard's side tables beside its events."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, Any] = {}

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        guard: Guard | None = kwargs.get(GUARD)
        with self._database_lock:
            if guard is not None:
                self._assert_uniqueness(stored_events)  # before the guard writes anything
                guard.in_memory(self.tables, self.version_of)
            return super()._insert_events(stored_events, **kwargs)

    def version_of(self, originator_id: UUID) -> int:
        """The aggregate's last recorded version, 0 when it has none."""
        return max(self._stored_events_index.get(str(originator_id), ()), default=0)


def in_memory_recorder(factory: InfrastructureFactory[Any]) -> ApplicationRecorder | None:
    """The recorder for the library's in-memory persistence, which (unlike PostgreSQL's)
    takes no recorder topic from the environment; None for any other persistence."""
    return InMemoryBatchRecorder() if isinstance(factory, POPOFactory) else None

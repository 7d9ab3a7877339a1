"""The event store's PostgreSQL recorder, with connections that fail fast when the
database does (pinned to eventsourcing 9.5).

Its pool hands out stale connections after a PostgreSQL restart (`POSTGRES_PRE_PING`
checks them, but with psycopg_pool's wait between failed checks, shared/pools.py), and
it retries each call ten times, 0.2 s apart, each try waiting for the pool: more than
2 s before a request is refused during an outage. So the recorder replaces the pool,
before its first connection, by a `CheckedPool` of the same settings, and reads and
writes once. How it records a batch is shared/stored_events/recording.py's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Connection
from psycopg.rows import DictRow

from shared.pools import CONNECT_TIMEOUT, CheckedPool
from shared.stored_events.recording import PostgresBatchRecorder

_SELECT_EVENTS: Callable[..., Sequence[StoredEvent]] = inspect.unwrap(
    PostgresApplicationRecorder.select_events
)
_MAX_NOTIFICATION_ID: Callable[..., int | None] = inspect.unwrap(
    PostgresApplicationRecorder.max_notification_id
)
_INSERT_EVENTS: Callable[..., Sequence[int] | None] = inspect.unwrap(
    PostgresApplicationRecorder.insert_events
)


class TaskstreamRecorder(PostgresBatchRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        datastore.pool = checked_pool(datastore)
        super().__init__(datastore, events_table_name=events_table_name)

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return _SELECT_EVENTS(self, originator_id, gt=gt, lte=lte, desc=desc, limit=limit)

    def max_notification_id(self) -> int | None:
        return _MAX_NOTIFICATION_ID(self)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return _INSERT_EVENTS(self, stored_events, **kwargs)


def checked_pool(datastore: PostgresDatastore) -> CheckedPool[Connection[DictRow]]:
    """The pool `PostgresDatastore.__init__` built (not opened yet), as a CheckedPool with
    the same settings, and a bound on opening a connection."""
    pool = datastore.pool
    if not pool.closed or not isinstance(pool.kwargs, dict):
        raise RuntimeError("the event store's pool is not the one eventsourcing 9.5 builds")
    return CheckedPool(
        get_password_func=pool.get_password_func,
        connection_class=pool.connection_class,
        kwargs={**pool.kwargs, "connect_timeout": CONNECT_TIMEOUT},
        min_size=pool.min_size,
        max_size=pool.max_size,
        open=False,
        configure=datastore.after_connect_func(),
        timeout=pool.timeout,
        max_waiting=pool.max_waiting,
        max_lifetime=pool.max_lifetime,
    )

"""Connections that PostgreSQL ended (a restart, a failover; here pg_terminate_backend,
which a client sees the same way) never fail a caller: the read pools, the event
store's pool and the group-commit writer all go on over new connections. The event
store's pool is rebuilt from the one the library made (services/command/recording/recorder.py),
so its settings are checked against the library's own."""

from __future__ import annotations

import asyncio
import inspect
import time
from datetime import UTC, datetime
from uuid import uuid4

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.recording.group_commit import BatchWriter
from shared.database import DatabaseAddress
from shared.pools import CONNECT_TIMEOUT, CheckedAsyncPool, CheckedPool, quiet
from tests.support import running, until

CTX = Context(uuid4(), "test", datetime.now(UTC))


def end_sessions(database_url: str) -> int:
    """Ends every other session on the test's database and waits until they are gone,
    as they are once a server has restarted."""
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo(), autocommit=True) as conn:
        others = (
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        ended = conn.execute(f"SELECT count(pg_terminate_backend(pid)){others}").fetchone()
        until(
            lambda: conn.execute(f"SELECT 1{others}").fetchone() is None,
            what="the terminated sessions gone",
            every=0.01,
        )
    assert ended is not None
    return int(ended[0])


def test_a_connection_the_server_ended_is_not_quiet(database_url: str) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT 1")
        assert quiet(conn)
        end_sessions(database_url)
        assert not quiet(conn)


async def test_a_read_pool_hands_out_only_working_connections(database_url: str) -> None:
    pool: CheckedAsyncPool[psycopg.AsyncConnection[tuple[object, ...]]] = CheckedAsyncPool(
        DatabaseAddress.parse(database_url).conninfo(),
        min_size=4,
        max_size=4,
        timeout=1.0,
        kwargs={"autocommit": True},
        open=False,
    )
    async with pool:
        await pool.wait()
        assert end_sessions(database_url) >= 4
        started = time.monotonic()

        async def read() -> object:
            async with pool.connection() as conn:
                cur = await conn.execute("SELECT 1")
                return await cur.fetchone()

        assert await asyncio.gather(*(read() for _ in range(12))) == [(1,)] * 12
        assert time.monotonic() - started < 0.9


def test_the_event_store_reads_over_ended_sessions(
    app: TaskstreamApplication, database_url: str
) -> None:
    decision = app.create_project(CTX, uuid4(), "p", None)
    position = app.record(decision)
    assert end_sessions(database_url) >= 1
    started = time.monotonic()
    assert app.current_position() == position
    assert app.repository.get(decision.aggregate.id).version == 1
    assert time.monotonic() - started < 0.5


def test_the_group_commit_writer_records_over_an_ended_session(
    app: TaskstreamApplication, database_url: str
) -> None:
    async def record_twice() -> list[int]:
        writer = BatchWriter(app, DatabaseAddress.parse(database_url).conninfo())
        async with running(writer):
            first = await writer.record(app.create_project(CTX, uuid4(), "a", None).change)
            end_sessions(database_url)
            second = await writer.record(app.create_project(CTX, uuid4(), "b", None).change)
        return [first, second]

    first, second = asyncio.run(record_twice())
    assert second > first


def test_the_event_store_pool_has_the_settings_the_library_gives_its_own(
    app: TaskstreamApplication, database_url: str
) -> None:
    env = DatabaseAddress.parse(database_url).eventsourcing_env(2, 2)
    library = PostgresFactory(env).datastore.pool
    ours = app.recorder.datastore.pool  # type: ignore[attr-defined]
    assert type(ours) is CheckedPool and type(library) is not CheckedPool
    for name in ("min_size", "max_size", "timeout", "max_waiting", "max_lifetime", "max_idle"):
        assert getattr(ours, name) == getattr(library, name), name
    assert isinstance(library.kwargs, dict)
    assert ours.kwargs == {**library.kwargs, "connect_timeout": CONNECT_TIMEOUT}
    assert ours.connection_class is library.connection_class
    assert ours.timeout == 1.0


def test_the_library_retries_the_calls_the_recorder_makes_once() -> None:
    """If a new version stops retrying these, the recorder's overrides can go."""
    for name in ("select_events", "max_notification_id", "insert_events"):
        decorated = getattr(PostgresApplicationRecorder, name)
        assert inspect.unwrap(decorated) is not decorated, name

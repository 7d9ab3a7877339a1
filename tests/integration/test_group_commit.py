"""Group commit against a real PostgreSQL: commands that arrive together share one
transaction, yet each keeps its own optimistic concurrency. A command refused in a
batch fails alone; the others are recorded."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from uuid import UUID, uuid4

import psycopg
import pytest

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.recording.changes import Change
from services.command.recording.group_commit import BatchWriter
from services.command.recording.refusals import Stale
from shared.database import EVENTS_TABLE, DatabaseAddress
from tests.support import eventually, running

CTX = Context(uuid4(), "test", datetime.now(UTC))


def in_one_batch(
    app: TaskstreamApplication, database_url: str, changes: list[Change]
) -> list[int | BaseException]:
    """Queued before the writer runs, so its first batch takes them all."""

    async def record() -> list[int | BaseException]:
        writer = BatchWriter(app, DatabaseAddress.parse(database_url).conninfo())
        answers = [asyncio.ensure_future(writer.record(change)) for change in changes]
        await asyncio.sleep(0)
        async with running(writer):
            return await asyncio.gather(*answers, return_exceptions=True)

    return asyncio.run(record())


def versions(app: TaskstreamApplication, aggregate_id: UUID) -> list[int]:
    return [e.originator_version for e in app.recorder.select_events(aggregate_id)]


def test_a_stale_command_fails_alone_in_its_batch(
    app: TaskstreamApplication, database_url: str
) -> None:
    project = app.create_project(CTX, uuid4(), "p", None)
    app.record(project)
    stale = app.update_project(CTX, project.aggregate.id, None, "late", None)
    app.record(app.update_project(CTX, project.aggregate.id, None, "first", None))
    fresh = app.create_project(CTX, uuid4(), "q", None)
    refused, recorded = in_one_batch(app, database_url, [stale.change, fresh.change])
    assert isinstance(refused, Stale)
    assert isinstance(recorded, int)
    assert versions(app, project.aggregate.id) == [1, 2]
    assert versions(app, fresh.aggregate.id) == [1]


def test_a_create_of_an_existing_id_is_refused_though_its_version_is_not_read(
    app: TaskstreamApplication, database_url: str
) -> None:
    """Creates skip the version check (Change.checked_versions): the events table's
    key must refuse a second version 1, and only that command may fail."""
    taken = uuid4()
    app.record(app.create_project(CTX, taken, "original", None))
    again = app.create_project(CTX, taken, "impostor", None)
    fresh = app.create_project(CTX, uuid4(), "q", None)
    assert again.change.checked_versions() == []
    refused, recorded = in_one_batch(app, database_url, [again.change, fresh.change])
    assert isinstance(refused, Stale)
    assert isinstance(recorded, int)
    assert versions(app, taken) == [1]
    assert app.repository.get(taken).name == "original"
    assert versions(app, fresh.aggregate.id) == [1]


def test_an_update_still_reads_the_version_it_relies_on(app: TaskstreamApplication) -> None:
    project = app.create_project(CTX, uuid4(), "p", None)
    app.record(project)
    renamed = app.update_project(CTX, project.aggregate.id, None, "r", None)
    assert renamed.change.checked_versions() == [project.aggregate.id]


def test_commands_arriving_while_the_table_lock_is_awaited_join_the_batch(
    app: TaskstreamApplication, database_url: str
) -> None:
    """Another process's batch holds the lock: what arrives meanwhile is recorded with
    the command that was already waiting, in one transaction."""
    conninfo = DatabaseAddress.parse(database_url).conninfo()

    async def record() -> tuple[list[int], int]:
        writer = BatchWriter(app, conninfo)
        async with running(writer), await psycopg.AsyncConnection.connect(conninfo) as other:
            await other.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
            first = asyncio.ensure_future(
                writer.record(app.create_project(CTX, uuid4(), "first", None).change)
            )
            await eventually(lambda: _waiting_for_lock(conninfo), what="the writer waiting")
            later = [
                asyncio.ensure_future(
                    writer.record(app.create_project(CTX, uuid4(), f"p{n}", None).change)
                )
                for n in range(5)
            ]
            await asyncio.sleep(0)
            await other.commit()
            positions = await asyncio.gather(first, *later)
        return positions, writer.batches

    positions, batches = asyncio.run(record())
    assert batches == 1
    assert len(set(positions)) == 6


async def _waiting_for_lock(conninfo: str) -> bool:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = 'taskstream command writer' AND wait_event_type = 'Lock'"
        )
        row = await cur.fetchone()
        return bool(row and row[0])


def test_a_writer_stalled_inside_its_transaction_lets_go_of_the_table_lock(
    app: TaskstreamApplication, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frozen writer must not stop every command process: PostgreSQL ends its
    session, the lock goes, and the writer's commands fail instead of hanging."""
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    encode = app.mapper.to_stored_event

    def frozen(event: object) -> object:
        time.sleep(1.5)  # while the transaction holds the lock
        return encode(event)  # type: ignore[arg-type]

    monkeypatch.setattr(app.mapper, "to_stored_event", frozen)
    locked: list[bool] = []

    def other_writer() -> None:
        time.sleep(0.8)
        with psycopg.connect(conninfo) as conn:
            conn.execute("SET lock_timeout = '300ms'")
            conn.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
            locked.append(True)

    async def record() -> BaseException | int:
        writer = BatchWriter(app, conninfo, idle_timeout=0.3)
        answer = asyncio.ensure_future(
            writer.record(app.create_project(CTX, uuid4(), "frozen", None).change)
        )
        async with running(writer):
            return (await asyncio.gather(answer, return_exceptions=True))[0]

    probe = threading.Thread(target=other_writer)
    probe.start()
    answer = asyncio.run(record())
    probe.join()
    assert locked == [True]
    assert isinstance(answer, psycopg.OperationalError)

"""The contract of shared/stored_events/recording.py with the library it is pinned to.

A batch of every event type recorded our ways (the group-commit writer; the library's
`save()` through our recorder, on PostgreSQL and in memory) must read back through the
library's own application and mapper exactly as the same events saved by the library's
own `save()` and recorder, with the positions the library reports. If a new version of
the library stores or reads events otherwise, this fails before anything else does.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from psycopg import sql

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context, TenantAggregate
from services.command.domain.project import Project
from services.command.domain.tag import Tag
from services.command.domain.task import Status, Task
from services.command.recording.changes import Change
from services.command.recording.group_commit import BatchWriter
from services.dev.postgres import EmbeddedPostgres
from shared.database import EVENT_STORE_NAME, EVENTS_TABLE, DatabaseAddress
from shared.events.catalog import EVENT_AGGREGATES
from shared.stored_events.recording import LIBRARY_SERIES
from tests.conftest import fresh_database
from tests.support import running

CTX = Context(uuid4(), "contract", datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
Events = list[TenantAggregate.Event]


class LibraryApplication(Application[UUID]):
    """The library's own application and recorder on the same events table."""

    name = EVENT_STORE_NAME


def every_event_type() -> Events:
    """One batch holding each of the 18 event types, built by the domain."""
    project, other = Project.create(CTX, uuid4(), "p", None), Project.create(CTX, uuid4(), "q", "d")
    tag = Tag.create(CTX, uuid4(), "urgent", "#ff0000")
    task = Task.create(
        CTX, uuid4(), project.id, "t", None, Status.PENDING, [tag.id], due_on=date(2026, 3, 14)
    )
    task.rename(CTX, "t'")
    task.set_due_date(CTX, None)
    task.assign(CTX, "sam")
    task.describe(CTX, 'a "quoted" description, é, 漢字')
    task.change_status(CTX, Status.DONE)
    task.move(CTX, other.id)
    task.untag(CTX, tag.id)
    task.delete(CTX)
    project.rename(CTX, "p'")
    project.describe(CTX, "described")
    project.delete(CTX)
    tag.rename(CTX, "Urgent!")
    tag.recolor(CTX, None)
    tag.delete(CTX)
    events: Events = []
    for aggregate in (project, other, tag, task):
        events += aggregate.collect_events()  # type: ignore[arg-type]
    assert {type(e).__name__ for e in events} == set(EVENT_AGGREGATES)
    return events


def postgres_env(url: str) -> dict[str, str]:
    return DatabaseAddress.parse(url).eventsourcing_env(2, 2)


@pytest.fixture
def two_databases(
    postgres_server: EmbeddedPostgres, template_url: str
) -> Iterator[tuple[str, str]]:
    with (
        fresh_database(postgres_server, template_url) as ours,
        fresh_database(postgres_server, template_url) as library,
    ):
        yield ours, library


def by_group_commit(app: TaskstreamApplication, url: str, events: Events) -> int:
    async def record() -> int:
        writer = BatchWriter(app, DatabaseAddress.parse(url).conninfo())
        async with running(writer):
            return await writer.record(Change(events, {}))

    return asyncio.run(record())


def by_library_save(app: TaskstreamApplication, _: str, events: Events) -> int:
    return app.record_change(Change(events, {}))


def rows(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(DatabaseAddress.parse(url).conninfo()) as conn:
        return conn.execute(
            sql.SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id"
                " FROM {} ORDER BY notification_id"
            ).format(sql.Identifier(EVENTS_TABLE))
        ).fetchall()


def read_back(app: Application[UUID], events: Events) -> list[DomainEventProtocol[UUID]]:
    return [e for i in dict.fromkeys(e.originator_id for e in events) for e in app.events.get(i)]


def test_the_library_is_the_series_the_recording_module_is_pinned_to() -> None:
    assert importlib.metadata.version("eventsourcing").startswith(f"{LIBRARY_SERIES}.")


@pytest.mark.parametrize("record", [by_group_commit, by_library_save])
def test_a_batch_recorded_our_way_reads_back_as_the_library_saves_it(
    two_databases: tuple[str, str],
    record: Callable[[TaskstreamApplication, str, Events], int],
) -> None:
    ours_url, library_url = two_databases
    events = every_event_type()
    library = LibraryApplication(env=postgres_env(library_url))
    ours = TaskstreamApplication(env=postgres_env(ours_url))
    reader = LibraryApplication(env=postgres_env(ours_url))
    try:
        saved = library.save(*events)
        position = record(ours, ours_url, events)
        assert rows(ours_url) == rows(library_url)
        assert position == saved[-1].notification.id == reader.recorder.max_notification_id()
        assert read_back(reader, events) == read_back(library, events) == events
        log = reader.recorder.select_notifications(start=1, limit=100)
        assert log == library.recorder.select_notifications(start=1, limit=100)
    finally:
        for app in (library, ours, reader):
            app.close()


def test_in_memory_the_batch_reads_back_as_the_library_saves_it() -> None:
    events = every_event_type()
    library = LibraryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    ours = TaskstreamApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    saved = library.save(*events)
    assert ours.record_change(Change(events, {})) == saved[-1].notification.id
    assert read_back(ours, events) == read_back(library, events) == events
    ours_log = ours.recorder.select_notifications(start=1, limit=100)
    assert ours_log == library.recorder.select_notifications(start=1, limit=100)

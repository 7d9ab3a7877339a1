"""The outbox relay against a real event store and a real JetStream."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.publishing import wakeups
from services.command.publishing.relay import Relay
from services.command.use_cases.decision import UNSET
from services.dev.nats import EmbeddedNats
from shared.database import EVENTS_TABLE, DatabaseAddress
from shared.events.catalog import EVENT_AGGREGATES
from shared.events.envelope import EventEnvelope
from tests.support import (
    check_against_schemas,
    eventually,
    published_event,
    running,
    stream_messages,
)
from tests.workload import mixed_workload

TENANT = uuid4()


def ctx() -> Context:
    return Context(TENANT, "tester", datetime.now(UTC))


def make_relay(database_url: str, nats_url: str) -> Relay:
    return Relay(DatabaseAddress.parse(database_url).conninfo(), nats_url, "TASKSTREAM")


async def published(nats_url: str) -> list[EventEnvelope]:
    return [published_event(m.data) for m in await stream_messages(nats_url)]


async def wait_for_count(nats_url: str, count: int) -> list[EventEnvelope]:
    async def reached() -> bool:
        return len(await published(nats_url)) >= count

    await eventually(reached, what=f"{count} events in JetStream")
    return await published(nats_url)


async def test_every_event_is_published_in_position_order_as_a_cloudevent(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    first_id = uuid4()
    first = app.record(app.create_project(ctx(), first_id, "one", None))
    second = app.record(app.create_project(ctx(), uuid4(), "two", "2"))
    renamed = app.record(app.update_project(ctx(), first_id, None, "one, renamed", UNSET))

    async with running(make_relay(database_url, nats_url)):
        events = await wait_for_count(nats_url, 3)

    assert [e.position for e in events] == [first, second, renamed]
    assert [e.type for e in events] == ["ProjectCreated", "ProjectCreated", "ProjectRenamed"]
    messages = await stream_messages(nats_url)
    for message, event in zip(messages, events, strict=True):
        assert message.headers["Nats-Msg-Id"] == str(event.id)
        assert message.subject == f"taskstream.events.{TENANT}.project.{event.type}"
        assert json.loads(message.data)["tenantid"] == str(TENANT)
    assert events[2].data == {"project_id": str(first_id), "name": "one, renamed"}
    for message in messages:
        check_against_schemas(json.loads(message.data))
    assert events[2].actor == "tester"


async def test_a_restarted_relay_resumes_without_duplicates(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    app.record(app.create_project(ctx(), uuid4(), "before", None))
    async with running(make_relay(database_url, nats_url)):
        await wait_for_count(nats_url, 1)
    app.record(app.create_project(ctx(), uuid4(), "while stopped", None))
    async with running(make_relay(database_url, nats_url)):
        await wait_for_count(nats_url, 2)
        app.record(app.create_project(ctx(), uuid4(), "after", None))
        events = await wait_for_count(nats_url, 3)
    assert len({e.id for e in events}) == 3
    assert [e.data["name"] for e in events] == ["before", "while stopped", "after"]


async def test_only_one_relay_publishes_at_a_time(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    one, two = make_relay(database_url, nats_url), make_relay(database_url, nats_url)
    async with running(one), running(two):

        async def a_leader() -> bool:
            return one.is_leader or two.is_leader

        await eventually(a_leader, what="one relay leading")
        for n in range(5):
            app.record(app.create_project(ctx(), uuid4(), f"p{n}", None))
        events = await wait_for_count(nats_url, 5)
        assert one.is_leader != two.is_leader
    assert len(events) == 5


async def test_commands_succeed_while_nats_is_down_and_the_backlog_follows(
    app: TaskstreamApplication, database_url: str, tmp_path: Path
) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    url = server.start()
    relay = make_relay(database_url, url)
    try:
        async with running(relay):
            app.record(app.create_project(ctx(), uuid4(), "before outage", None))
            await wait_for_count(url, 1)
            server.stop()
            for n in range(3):
                app.record(app.create_project(ctx(), uuid4(), f"during outage {n}", None))
            server.start()
            events = await wait_for_count(url, 4)
    finally:
        server.stop()
    assert [e.data["name"] for e in events] == [
        "before outage",
        "during outage 0",
        "during outage 1",
        "during outage 2",
    ]


async def test_every_event_type_survives_a_killed_nats_mid_stream_exactly_once(
    app: TaskstreamApplication, database_url: str, tmp_path: Path
) -> None:
    last = mixed_workload(app, [uuid4() for _ in range(3)], rounds=60)
    server = EmbeddedNats(tmp_path / "nats")
    url = server.start()
    relay = make_relay(database_url, url)
    try:
        async with running(relay):

            async def some_published() -> bool:
                return relay.published_position > 50

            await eventually(some_published, what="the relay under way")
            server.kill()
            server.start()

            async def all_published() -> bool:
                return relay.published_position == last

            await eventually(all_published, what="the whole backlog published", within=60)
            events = await published(url)
        messages = await stream_messages(url)
    finally:
        server.stop()
    assert [e.position for e in events] == list(range(1, last + 1))
    assert len({e.id for e in events}) == last
    assert {e.type for e in events} == set(EVENT_AGGREGATES)
    for message in messages:
        check_against_schemas(json.loads(message.data))


async def test_commits_that_queued_while_publishing_delay_the_relay_once(
    app: TaskstreamApplication, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: every notification queued during a publish used to add its own
    coalescing pause (200 commits, 2 s), so under load the relay fell seconds behind.
    And once woken, the relay must not wake again on the notifications it has already
    read the commits of: they used to stay queued, one wait each, growing without end."""
    monkeypatch.setattr(wakeups, "POLL_SECONDS", 0.5)
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    async with (
        await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as listener,
        await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as committer,
    ):
        await listener.execute(f"LISTEN {EVENTS_TABLE}")
        for _ in range(200):
            await committer.execute(f"NOTIFY {EVENTS_TABLE}")
        await listener.execute("SELECT 1")  # the notifications arrive while it is busy
        started = time.monotonic()
        await wakeups.wait_for_commits(listener)
        assert time.monotonic() - started < 0.4
        started = time.monotonic()
        await wakeups.wait_for_commits(listener)  # no new commit: waits the whole poll
        assert time.monotonic() - started >= 0.45

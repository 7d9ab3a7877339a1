"""Messages on the stream that the relay did not publish: they never make it lose, skip
or double an event, and never give it its restart point."""

from __future__ import annotations

import json
from uuid import uuid4

import orjson

from services.command.application import TaskstreamApplication
from shared.event_ids import event_id_text
from shared.nats import connect
from tests.integration.relaying import (
    ctx,
    genuine,
    make_relay,
    publish_raw,
    store_positions,
    wait_for_position,
)
from tests.support import running, stream_messages

TENANT = uuid4()


async def test_a_foreign_message_before_a_two_event_command_loses_neither_event(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    """Regression (issue 16, finding 1): the relay confirmed only a batch's last message;
    the first was refused behind the foreign one and the batch still counted."""
    project = uuid4()
    first = app.record(app.create_project(ctx(TENANT), project, "before", None))
    async with running(make_relay(database_url, nats_url)):
        await wait_for_position(nats_url, first)
        await publish_raw(nats_url, "taskstream.events.junk.x.y", b"not an event")
        last = app.record(app.update_project(ctx(TENANT), project, None, "renamed", "described"))
        events = await wait_for_position(nats_url, last)

    assert [e.type for e in events] == [
        "ProjectCreated",
        "ProjectRenamed",
        "ProjectDescriptionChanged",
    ]
    assert genuine(events, database_url) == store_positions(database_url)


async def test_foreign_messages_between_batches_under_load_lose_and_double_nothing(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    projects = [uuid4() for _ in range(20)]
    first = app.record(app.create_project(ctx(TENANT), uuid4(), "first", None))
    async with running(make_relay(database_url, nats_url)):
        await wait_for_position(nats_url, first)
        for n, project in enumerate(projects):
            app.record(app.create_project(ctx(TENANT), project, f"p{n}", None))
            await publish_raw(nats_url, f"taskstream.events.junk.{n}.y", b"{}")
            app.record(app.update_project(ctx(TENANT), project, None, f"p{n}'", f"d{n}"))
        events = await wait_for_position(nats_url, store_positions(database_url)[-1])

    assert genuine(events, database_url) == store_positions(database_url)


async def test_a_foreign_message_carrying_the_next_events_id_takes_no_events_place(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    """Event ids are public (uuid5 of the aggregate id and version): a foreign message
    can take the id of the next event, which JetStream then drops as a duplicate within
    its window. The event must still go out, in its place, and the one after it too."""
    project = uuid4()
    first = app.record(app.create_project(ctx(TENANT), project, "before", None))
    async with running(make_relay(database_url, nats_url)):
        await wait_for_position(nats_url, first)
        taken = {"Nats-Msg-Id": event_id_text(str(project), 2)}
        await publish_raw(nats_url, "taskstream.events.junk.x.y", b"not an event", taken)
        last = app.record(app.update_project(ctx(TENANT), project, None, "renamed", "described"))
        events = await wait_for_position(nats_url, last)

    assert [e.type for e in events] == [
        "ProjectCreated",
        "ProjectRenamed",
        "ProjectDescriptionChanged",
    ]
    assert genuine(events, database_url) == store_positions(database_url)


async def forge_from(nats_url: str, position: int) -> None:
    """Publishes a copy of the stream's first event claiming `position`, on its subject."""
    message = (await stream_messages(nats_url))[0]
    forged = orjson.loads(message.data) | {"position": position, "id": str(uuid4())}
    await publish_raw(nats_url, message.subject, json.dumps(forged).encode())


async def test_a_forged_envelope_with_a_high_position_is_not_the_restart_point(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    """Regression (issue 16, finding 2): the relay resumed after the position of the
    stream's last taskstream-looking message, forged or not."""
    first = app.record(app.create_project(ctx(TENANT), uuid4(), "one", None))
    async with running(make_relay(database_url, nats_url)):
        await wait_for_position(nats_url, first)
    await forge_from(nats_url, 10**9)
    app.record(app.create_project(ctx(TENANT), uuid4(), "two", None))
    last = app.record(app.create_project(ctx(TENANT), uuid4(), "three", None))

    async with running(make_relay(database_url, nats_url)):
        events = await wait_for_position(nats_url, last)

    assert genuine(events, database_url) == store_positions(database_url)


async def test_a_forged_envelope_while_the_relay_runs_does_not_move_it_on(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    first = app.record(app.create_project(ctx(TENANT), uuid4(), "one", None))
    async with running(make_relay(database_url, nats_url)):
        await wait_for_position(nats_url, first)
        await forge_from(nats_url, 10**9)
        last = app.record(app.create_project(ctx(TENANT), uuid4(), "two", None))
        events = await wait_for_position(nats_url, last)

    assert genuine(events, database_url) == store_positions(database_url)


async def test_a_deleted_stream_is_refilled_from_the_start_of_the_store(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    for n in range(3):
        app.record(app.create_project(ctx(TENANT), uuid4(), f"p{n}", None))
    async with running(make_relay(database_url, nats_url)):
        await wait_for_position(nats_url, store_positions(database_url)[-1])
    nc = await connect(nats_url, name="test")
    try:
        await nc.jetstream().delete_stream("TASKSTREAM")
    finally:
        await nc.close()
    last = app.record(app.create_project(ctx(TENANT), uuid4(), "after", None))

    async with running(make_relay(database_url, nats_url)):
        events = await wait_for_position(nats_url, last)

    assert genuine(events, database_url) == store_positions(database_url)


async def test_a_purged_stream_is_refilled_although_jetstream_remembers_the_ids(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    """A purge keeps JetStream's duplicate window: publishing the same ids again within
    two minutes is dropped. The relay must still refill the stream, and not stall."""
    for n in range(3):
        app.record(app.create_project(ctx(TENANT), uuid4(), f"p{n}", None))
    async with running(make_relay(database_url, nats_url)):
        await wait_for_position(nats_url, store_positions(database_url)[-1])
    nc = await connect(nats_url, name="test")
    try:
        await nc.jetstream().purge_stream("TASKSTREAM")
    finally:
        await nc.close()
    last = app.record(app.create_project(ctx(TENANT), uuid4(), "after", None))

    async with running(make_relay(database_url, nats_url)):
        events = await wait_for_position(nats_url, last)

    assert genuine(events, database_url) == store_positions(database_url)

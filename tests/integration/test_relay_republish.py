"""`taskstream republish` beside a live relay: the live events keep flowing, whatever
JetStream's duplicate window holds."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import orjson
from nats.js.api import StreamConfig

from services.command.application import TaskstreamApplication
from services.command.publishing.republish import republish
from shared.database import DatabaseAddress
from shared.nats import DUPLICATE_WINDOW_SECONDS, connect
from tests.integration.relaying import (
    ctx,
    genuine,
    make_relay,
    publish_raw,
    store_positions,
    wait_for_position,
)
from tests.support import check_against_schemas, eventually, running, stream_messages

TENANT = uuid4()


async def forget_the_ids_seen_so_far(nats_url: str) -> None:
    """Ages every id JetStream remembers out of its duplicate window, as two minutes
    would: the window is shrunk until a probe's id is accepted again, then restored."""
    nc = await connect(nats_url, name="test")
    try:
        js = nc.jetstream()
        probe = {"Nats-Msg-Id": f"probe-{uuid4()}"}
        await publish_raw(nats_url, "taskstream.events.probe.x.y", b"probe", probe)
        config: StreamConfig = (await js.stream_info("TASKSTREAM")).config
        config.duplicate_window = 0.1
        await js.update_stream(config)

        async def forgotten() -> bool:
            ack = await js.publish("taskstream.events.probe.x.y", b"probe", headers=probe)
            return not ack.duplicate

        await eventually(forgotten, what="the duplicate window forgetting the probe")
        config.duplicate_window = DUPLICATE_WINDOW_SECONDS
        await js.update_stream(config)
    finally:
        await nc.close()


async def test_republish_from_the_start_beside_the_live_relay_does_not_stall_it(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    """Regression (issue 16, finding 3): the events older than the window went out again,
    the newer ones were dropped as duplicates, and the relay then resumed after the last
    old one, where every publish was a duplicate, until the window expired."""
    old = [app.record(app.create_project(ctx(TENANT), uuid4(), f"old {n}", None)) for n in range(5)]
    async with running(make_relay(database_url, nats_url)):
        await wait_for_position(nats_url, old[-1])
        await forget_the_ids_seen_so_far(nats_url)
        recent = [
            app.record(app.create_project(ctx(TENANT), uuid4(), f"recent {n}", None))
            for n in range(3)
        ]
        await wait_for_position(nats_url, recent[-1])
        conninfo = DatabaseAddress.parse(database_url).conninfo()

        async with asyncio.timeout(20):
            count = await republish(conninfo, nats_url, "TASKSTREAM", 1)
        live = app.record(app.create_project(ctx(TENANT), uuid4(), "live", None))
        events = await wait_for_position(nats_url, live, within=5)

    assert count == len(old) + len(recent)
    positions = genuine(events, database_url)
    assert set(positions) == set(store_positions(database_url))
    first_copies = sorted(set(positions), key=positions.index)
    assert first_copies == store_positions(database_url)
    assert positions.count(live) == 1
    for event in await stream_messages(nats_url):
        if event.subject.startswith(f"taskstream.events.{TENANT}."):
            check_against_schemas(orjson.loads(event.data))


async def test_republish_without_a_running_relay_publishes_and_then_hands_over(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    """With no relay leading (a stopped command service), republish leads itself for the
    time it takes, and a relay started afterwards carries on from where it ended."""
    for n in range(4):
        app.record(app.create_project(ctx(TENANT), uuid4(), f"p{n}", None))
    conninfo = DatabaseAddress.parse(database_url).conninfo()

    async with asyncio.timeout(20):
        count = await republish(conninfo, nats_url, "TASKSTREAM", 2)
    later = app.record(app.create_project(ctx(TENANT), uuid4(), "later", None))
    async with running(make_relay(database_url, nats_url)):
        events = await wait_for_position(nats_url, later)

    assert count == 3
    positions = genuine(events, database_url)
    assert sorted(set(positions), key=positions.index) == store_positions(database_url)
    assert positions.count(later) == 1

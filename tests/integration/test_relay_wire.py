"""The relay's hand-built NATS frames (services/command/publishing/wire.py) against nats-py's own
`Client.publish`: a subscriber receives the same messages either way."""

from __future__ import annotations

from uuid import uuid4

import orjson
import psycopg
import pytest
from nats.aio.msg import Msg

from services.command.application import TaskstreamApplication
from services.command.publishing import wire
from services.command.publishing.relay import Relay
from shared.database import DatabaseAddress
from shared.nats import connect
from tests.support import eventually, running, stream_messages
from tests.workload import mixed_workload

SUBJECT = "taskstream.events.7c1f0c2e-3a2b-4f5e-9d6a-1b2c3d4e5f60.project.ProjectCreated"
HEADERS = [
    {"Nats-Batch-Id": "5f0c2e7c3a2b4f5e9d6a1b2c3d4e5f60", "Nats-Batch-Sequence": "1"},
    {
        "Nats-Batch-Id": "5f0c2e7c3a2b4f5e9d6a1b2c3d4e5f60",
        "Nats-Batch-Sequence": "2",
        "Nats-Msg-Id": "282274d7-cc18-5669-9a3d-93f3faaed165",
        "Nats-Expected-Last-Sequence": "18446744073709551615",
    },
]
PAYLOADS = [b'{"specversion":"1.0"}', "ünïcode and \r\n in a body".encode(), b""]


def received(message: Msg) -> tuple[str, dict[str, str], bytes]:
    return message.subject, dict(message.headers or {}), message.data


async def test_hand_built_frames_arrive_as_client_publish_sends_them(nats_url: str) -> None:
    nc = await connect(nats_url, name="test-wire")
    try:
        sub = await nc.subscribe("taskstream.events.>")
        cases = [(headers, payload) for headers in HEADERS for payload in PAYLOADS]
        for headers, payload in cases:
            await nc.publish(SUBJECT, payload, headers=headers)
        await wire.write(
            nc,
            [wire.frame(SUBJECT, wire.header_block(h), payload) for h, payload in cases],
        )
        await nc.flush()
        by_publish = [received(await sub.next_msg(timeout=2)) for _ in cases]
        by_frames = [received(await sub.next_msg(timeout=2)) for _ in cases]
    finally:
        await nc.close()

    assert by_frames == by_publish
    assert [body for *_, body in by_frames] == [payload for _, payload in cases]


@pytest.mark.parametrize("fast_wire", [True, False], ids=["frames", "client-publish"])
async def test_the_relay_publishes_the_whole_store_either_way(
    app: TaskstreamApplication, database_url: str, nats_url: str, fast_wire: bool
) -> None:
    """With the fast path off (TASKSTREAM_FAST_PATHS_OFF=wire) the relay sends its
    batches through `Client.publish`, and the stream is the same."""
    last = mixed_workload(app, [uuid4()], rounds=5)
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    relay = Relay(conninfo, nats_url, "TASKSTREAM", fast_wire=fast_wire)
    async with running(relay):

        async def published() -> bool:
            return relay.published_position == last

        await eventually(published, what="the store published")
    with psycopg.connect(conninfo) as conn:
        stored = [r[0] for r in conn.execute("SELECT notification_id FROM taskstream_events")]
    messages = await stream_messages(nats_url)
    events = [orjson.loads(m.data) for m in messages]
    assert [e["position"] for e in events] == sorted(stored)
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [e["id"] for e in events]

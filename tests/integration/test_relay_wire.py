"""The relay's hand-built NATS frames (services/command/wire.py) against nats-py's own
`Client.publish`: a subscriber receives the same messages either way."""

from __future__ import annotations

from nats.aio.msg import Msg

from services.command.publishing import wire
from shared.nats import connect

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

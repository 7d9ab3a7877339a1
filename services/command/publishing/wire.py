"""Fast path WIRE: a batch's messages to NATS as one write of HPUB frames built here.

It replaces nats-py's `Client.publish` per message (batches.publish_each, the way it
takes with the fast path off), which checks and encodes each message's headers in
Python. The relay's headers are its own (hex ids and decimal numbers: nothing to
check or escape), so the relay builds the frames itself and hands nats-py one buffer
per batch, through nats-py 2.16's private write path (`_send_command`, then
`_flush_pending` as `publish` does). tests/integration/test_relay_wire.py holds what
a subscriber receives equal to what `Client.publish` sends.
"""

from __future__ import annotations

from nats.aio.client import Client
from nats.errors import ConnectionClosedError

from services.command.publishing.batches import Message


async def publish_all(nc: Client, messages: list[Message]) -> None:
    """The messages on the connection in order, before anything published later."""
    await write(nc, [frame(subject, header_block(head), body) for subject, head, body in messages])


def header_block(headers: dict[str, str]) -> bytes:
    """Headers as NATS sends them; names and values must be plain ASCII tokens. (Spelled
    as text, then encoded once: a third cheaper than formatting bytes per line.)"""
    lines = "".join([f"{k}: {v}\r\n" for k, v in headers.items()])
    return f"NATS/1.0\r\n{lines}\r\n".encode()


def frame(subject: str, head: bytes, payload: bytes) -> bytes:
    """One HPUB frame without a reply subject; `head` as `header_block` makes it."""
    size = len(head)
    return b"HPUB %s %d %d\r\n%s%s\r\n" % (
        subject.encode(),
        size,
        size + len(payload),
        head,
        payload,
    )


async def write(nc: Client, frames: list[bytes]) -> None:
    """Queues the frames on the connection in order, before anything published later."""
    if nc.is_closed:
        raise ConnectionClosedError
    await nc._send_command(b"".join(frames))
    if nc._flush_queue is not None and nc._flush_queue.empty():
        await nc._flush_pending()

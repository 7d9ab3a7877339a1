"""Pulling the stream in batches without a cost per message.

nats-py's `fetch` waits for each message of a batch separately (a timer and a task per
message), which caps the rate whatever the work behind it (docs/performance.md, table
M1). This feed speaks the JetStream pull protocol itself: one pull request of up to
`batch` messages at a time, delivered to an inbox whose callback appends them to a
buffer. A batch is whatever has arrived when the projector asks, as soon as anything
has, and the next request goes out before that batch is applied, so the server sends
while the projector writes.

What arrives on the inbox is one of two things, told apart by what only stream messages
have: a reply subject `$JS.ACK.…` (even without acks, it carries the stream sequence).
Those are handed over whatever their headers say: a publisher may give a message any
header, `Status` included, and such a message is the projector's to judge. Everything
else is the server's own status replies (the status line that nats-py reads into the
`Status` header), which end, refuse or keep alive a pull request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from types import TracebackType

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import Header

from services.projector.intake.incoming import Incoming

logger = logging.getLogger(__name__)
_STREAM_MESSAGE = "$JS.ACK."
# Status replies to a pull request: it ended with nothing (more) to send, or expired.
_REQUEST_ENDED = frozenset({"404", "408"})
_HEARTBEAT = "100"
# Past its expiry, how long a pull request may go unanswered before the server is
# taken for gone (the projector then reconnects and resumes from its position).
_GRACE = 2.0


class FeedError(Exception):
    """JetStream refused or stopped answering the pull requests."""


class PullFeed:
    def __init__(
        self, nc: Client, stream: str, consumer: str, *, batch: int, expires: float
    ) -> None:
        self._nc = nc
        self._next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._batch = batch
        self._expires = expires
        self._inbox = nc.new_inbox()
        self._buffer: list[Incoming] = []
        self._changed = asyncio.Event()
        self._outstanding = 0
        self._requested_at = 0.0
        self._failure: FeedError | None = None
        self._sub: Subscription | None = None

    async def __aenter__(self) -> PullFeed:
        self._sub = await self._nc.subscribe(self._inbox, cb=self._on_message)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._sub is not None and not self._nc.is_closed:
            await self._sub.unsubscribe()

    async def next_batch(self) -> list[Incoming]:
        """The messages that have arrived, in stream order, as soon as there are any;
        [] once a request has expired with nothing to deliver."""
        if not self._buffer:
            if self._outstanding == 0:
                await self._request()
            self._changed.clear()
            deadline = self._requested_at + self._expires + _GRACE - time.monotonic()
            try:
                async with asyncio.timeout(max(deadline, self._expires)):
                    await self._changed.wait()
            except TimeoutError:
                raise FeedError("JetStream left a pull request unanswered") from None
            await asyncio.sleep(0)
        if self._failure is not None:
            raise self._failure
        batch, self._buffer = self._buffer, []
        if self._outstanding == 0 and batch:
            await self._request()
        return batch

    async def _request(self) -> None:
        request = {"batch": self._batch, "expires": int(self._expires * 1e9)}
        self._outstanding = self._batch
        self._requested_at = time.monotonic()
        await self._nc.publish(self._next_subject, json.dumps(request).encode(), self._inbox)

    async def _on_message(self, msg: Msg) -> None:
        if msg.reply.startswith(_STREAM_MESSAGE):
            self._buffer.append(_incoming(msg))
            self._outstanding -= 1
            self._changed.set()
            return
        status = msg.headers.get(Header.STATUS) if msg.headers else None
        if status is None:
            logger.warning(
                "ignored a message on the pull inbox that is neither a stream message nor a"
                " JetStream status reply",
                extra={"subject": msg.subject, "reply": msg.reply},
            )
            return
        if status in _REQUEST_ENDED:
            self._outstanding = 0
        elif status != _HEARTBEAT:
            description = msg.headers.get(Header.DESCRIPTION, "") if msg.headers else ""
            self._failure = FeedError(f"JetStream answered {status} {description}".strip())
            self._outstanding = 0
        self._changed.set()


def _incoming(msg: Msg) -> Incoming:
    """The stream sequence is read straight from the reply subject (v1 and v2 forms);
    nats-py's parsed metadata cost more than the rest of the message."""
    tokens = msg.reply.split(".")
    sequence = tokens[5] if len(tokens) == 9 else tokens[Msg.Ack.StreamSeq]
    return Incoming(
        stream_sequence=int(sequence),
        subject=msg.subject,
        payload=msg.data,
        headers=msg.headers or {},
    )

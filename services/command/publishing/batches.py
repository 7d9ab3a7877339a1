"""Publishing a batch of events as one JetStream atomic batch: in its place, whole, or not
at all.

Confirming only a batch's last message lets a message that the relay did not publish
take the place of the first one: the first is refused, the rest land one sequence
later, and the last one's acknowledgement looks right. Confirming each message
(`publish_async`, one future per message) costs a large share of the relay's CPU and
still lets later messages land after a refused one, out of order. In a fast-ingest
batch (stored as it arrives, ended by the first refusal) JetStream checks a message's
id before its expected sequence, so a foreign message carrying the id of the next
event (ids are public: uuid5 of aggregate and version) takes that event's place unseen.
An atomic batch (ADR-50) is checked whole at its commit, expected sequence and ids
alike, and stored whole or refused; the commit's acknowledgement counts the messages
stored, so it confirms each of them.

The server's commit takes time per event, during which the relay would wait;
`send_batch` and `confirm` are apart so that the relay reads and encodes its next batch
meanwhile (relay.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

import orjson
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import Header
from nats.js.errors import NoStreamResponseError

from services.command.publishing.answers import PublishRefused, Refusal, interpret
from services.command.publishing.encoding import Outgoing

# JetStream's limit on the messages in one atomic batch (ADR-50).
MAX_BATCH = 1000
NO_RESPONDERS = "503"
Message = tuple[str, dict[str, str], bytes]
"""A message before its batch's commit: subject, headers, payload."""
PublishAll = Callable[[Client, list[Message]], Awaitable[None]]


class Sent:
    """A batch on its way: the commit's answer arrives on an inbox of its own."""

    def __init__(self, sub: Subscription, after: int, size: int) -> None:
        self.sub = sub
        self.after = after
        self.size = size


async def publish_each(nc: Client, messages: list[Message]) -> None:
    """nats-py's own way to send a batch's messages before its commit: one
    `Client.publish` each (wire.py's `publish_all` is the fast path that replaces it)."""
    for subject, headers, payload in messages:
        await nc.publish(subject, payload, headers=headers)


async def send_batch(
    nc: Client,
    after: int,
    batch: Sequence[Outgoing],
    *,
    with_ids: bool,
    publish_all: PublishAll = publish_each,
) -> Sent:
    """Sends `batch` to land right after stream sequence `after`, for `confirm`. Without
    ids, JetStream's duplicate window cannot refuse any of it. `publish_all` sends the
    messages before the commit."""
    if not 0 < len(batch) <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} events, not {len(batch)}")
    batch_id = uuid.uuid4().hex
    expected = {"Nats-Expected-Last-Sequence": str(after)}
    *body, final = batch
    messages = []
    for number, message in enumerate(body, 1):
        head = _headers(batch_id, number, message, with_ids) | (expected if number == 1 else {})
        messages.append((message.subject, head, message.payload))
    if messages:
        await publish_all(nc, messages)
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox, max_msgs=1)
    commit = _headers(batch_id, len(batch), final, with_ids) | {"Nats-Batch-Commit": "1"}
    if not body:
        commit |= expected
    await nc.publish(final.subject, final.payload, reply=inbox, headers=commit)
    return Sent(sub, after, len(batch))


def _headers(batch_id: str, number: int, message: Outgoing, with_ids: bool) -> dict[str, str]:
    headers = {"Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(number)}
    if with_ids:
        headers["Nats-Msg-Id"] = message.msg_id
    return headers


async def confirm(sent: Sent, timeout: float) -> int:
    """The stream sequence of the batch's last message, once JetStream stored all of it
    in place. Raises PublishRefused for what reconciling with the stream answers, and
    a JetStream error for what it cannot (a missing stream, one refusing batches)."""
    after, size = sent.after, sent.size
    try:
        reply = await sent.sub.next_msg(timeout=timeout)
    except NatsTimeoutError:
        raise PublishRefused(Refusal.UNCONFIRMED, f"batch of {size} after {after}") from None
    finally:
        await sent.sub.unsubscribe()
    if reply.headers and reply.headers.get(Header.STATUS) == NO_RESPONDERS:
        raise NoStreamResponseError
    return interpret(orjson.loads(reply.data), after, size)

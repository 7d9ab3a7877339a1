"""What the stream's messages claim to be, read a page at a time: the relay's view of the
stream when it reconciles (reconcile.py), before the store is asked what is true."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from services.command.publishing.lease import Cursor
from shared.events.identity import Identity, InvalidEnvelope

PAGE = 1000


@dataclass(frozen=True, slots=True)
class Claim:
    """A stream message that reads as a taskstream event: what it claims to be."""

    sequence: int
    subject: str
    identity: Identity

    @property
    def position(self) -> int:
        return self.identity.position

    @property
    def event_id(self) -> str:
        return self.identity.id

    def cursor(self) -> Cursor:
        return Cursor(self.sequence, self.position, self.event_id)


def claim_of(sequence: int, subject: str, data: bytes) -> Claim | None:
    try:
        return Claim(sequence, subject, Identity.from_bytes(data))
    except InvalidEnvelope:
        return None


async def read_claims(
    nc: Client, js: JetStreamContext, stream: str, first: int, last: int
) -> AsyncIterator[list[Claim]]:
    """The stream's messages `first`..`last` that read as taskstream events, a page at a
    time, through an ephemeral consumer of this read's own. Deliveries are told from the
    server's status replies by their reply subject, which only the server sets: a
    message's own `Status` header (nats-py reads both alike) cannot end the read."""
    if first > last:
        return
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=first,
        ack_policy=AckPolicy.NONE,
        inactive_threshold=30.0,
        mem_storage=True,
    )
    consumer = await js.add_consumer(stream, config)
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    request = orjson.dumps({"batch": PAGE, "no_wait": True})
    subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer.name}"
    try:
        while True:
            await nc.publish(subject, request, reply=inbox)
            page: list[Claim] = []
            delivered, ended = 0, False
            while delivered < PAGE:
                message = await sub.next_msg(timeout=5.0)
                if not (message.reply or "").startswith("$JS.ACK."):
                    ended = True  # nothing more to deliver now
                    break
                delivered += 1
                sequence = message.metadata.sequence.stream
                if sequence > last:
                    ended = True
                    break
                claim = claim_of(sequence, message.subject, message.data)
                if claim is not None:
                    page.append(claim)
                if sequence == last:
                    ended = True
                    break
            yield page
            if ended:
                return
    finally:
        await sub.unsubscribe()
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(stream, consumer.name or "")

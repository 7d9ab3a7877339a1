"""Who may do what on NATS: each service's identity, and a tenant's subscriber.

Each list is what that code calls, and no more; nats-server refuses the rest (a
publish it refuses is dropped with an error to the client, which logs it:
shared/nats.py). JetStream's API is requests to `$JS.API.…` subjects whose answers
come back on the client's inbox. The subjects below are the ones nats-py 2.16 sends
for the calls named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from shared.events.catalog import SUBJECT_PREFIX
from shared.nats_jwt import Permissions

API = "$JS.API"
INBOXES = "_INBOX.>"
SERVICES = ("command", "projector", "query")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def command(stream: str) -> Permissions:
    """The relay (and `taskstream republish`, which runs one), with the HTTP workers'
    readiness and metrics, which need a part of the same."""
    return Permissions(
        publish=(
            f"{SUBJECT_PREFIX}.>",  # the events (publishing/batches.py)
            f"{API}.STREAM.CREATE.{stream}",  # ensure_stream
            f"{API}.STREAM.UPDATE.{stream}",
            f"{API}.STREAM.INFO.{stream}",  # reconcile.py, metrics
            f"{API}.STREAM.MSG.GET.{stream}",  # js.get_msg: reconcile.py, metrics
            # publishing/claims.py reads the stream through an ephemeral consumer of its
            # own (no name, no filter); its name is the server's, so any name here.
            f"{API}.CONSUMER.CREATE.{stream}",
            f"{API}.CONSUMER.MSG.NEXT.{stream}.*",
            f"{API}.CONSUMER.DELETE.{stream}.*",
        ),
        subscribe=(INBOXES,),
    )


def projector(stream: str) -> Permissions:
    """Reads every tenant's events through an ephemeral consumer of its own (no acks);
    it does not declare the stream (the relay does), nor publish anything else."""
    return Permissions(
        publish=(
            f"{API}.STREAM.INFO.{stream}",  # where to start
            f"{API}.CONSUMER.CREATE.{stream}",  # js.add_consumer without a name
            f"{API}.CONSUMER.MSG.NEXT.{stream}.*",  # pull requests, both feeds
        ),
        subscribe=(INBOXES,),
    )


def query(stream: str) -> Permissions:
    """Readiness and metrics: the stream's last sequence and its last message."""
    return Permissions(
        publish=(f"{API}.STREAM.INFO.{stream}", f"{API}.STREAM.MSG.GET.{stream}"),
        subscribe=(INBOXES,),
    )


def service(name: str, stream: str) -> Permissions:
    identities = {"command": command, "projector": projector, "query": query}
    return identities[name](stream)


@dataclass(frozen=True)
class SubscriberGrant:
    """What a tenant's subscriber may do: one durable consumer, by a name bound to the
    credential, filtered to the tenant's events, its messages fetched and acked, and
    answers on an inbox of its own. The consumer's filter is part of the subject that
    creates it (`$JS.API.CONSUMER.CREATE.<stream>.<consumer>.<filter>`, which
    nats-server checks against the request's `filter_subject`), so the permission
    holds it; other ways to create a consumer (a name without a filter, the legacy
    `DURABLE.CREATE`) are not allowed. Its inboxes have a prefix of their own: with
    `_INBOX.>` it could read the answers and deliveries meant for anyone else."""

    stream: str
    tenant: UUID
    name: str

    @classmethod
    def of(cls, stream: str, tenant: UUID, name: str) -> SubscriberGrant:
        if not _NAME.fullmatch(name):
            raise ValueError(f"subscriber name {name!r}: use 1 to 64 letters, digits, '-' or '_'")
        return cls(stream, tenant, name)

    @property
    def consumer(self) -> str:
        """Unique per tenant and name: two tenants' subscribers named alike never meet."""
        return f"{self.name}-{self.tenant}"

    @property
    def filter_subject(self) -> str:
        return f"{SUBJECT_PREFIX}.{self.tenant}.>"

    @property
    def inbox_prefix(self) -> str:
        return f"_INBOX.{self.consumer}"

    def permissions(self) -> Permissions:
        stream, consumer = self.stream, self.consumer
        return Permissions(
            publish=(
                f"{API}.CONSUMER.CREATE.{stream}.{consumer}.{self.filter_subject}",
                f"{API}.CONSUMER.INFO.{stream}.{consumer}",
                f"{API}.CONSUMER.DELETE.{stream}.{consumer}",
                f"{API}.CONSUMER.MSG.NEXT.{stream}.{consumer}",
                f"$JS.ACK.{stream}.{consumer}.>",
            ),
            subscribe=(f"{self.inbox_prefix}.>",),
        )

"""Who publishes the event store to JetStream, and what it was asked to publish again."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)

from shared.tables.base import metadata

# Which relay publishes (a lease its holder renews; docs/decisions.md, Publishing) and
# where the stream stood when it last renewed: the event at `position`, its last
# confirmed one, is the message at `stream_sequence`.
relay_lease = Table(
    "relay_lease",
    metadata,
    Column("stream", Text, nullable=False),
    Column("holder", Text, nullable=False),
    Column("holder_pid", Integer, nullable=False),
    Column("term", BigInteger, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("stream_sequence", BigInteger, nullable=False, server_default=text("0")),
    Column("position", BigInteger, nullable=False, server_default=text("0")),
    Column("event_id", Uuid),
    PrimaryKeyConstraint("stream", name="relay_lease_pkey"),
)

# `taskstream republish` requests, carried out by whichever relay leads, beside the
# live events (services/command/publishing/republish.py).
relay_republish = Table(
    "relay_republish",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("stream", Text, nullable=False),
    Column("next_position", BigInteger, nullable=False),
    Column("through_position", BigInteger, nullable=False),
    Column("published", BigInteger, nullable=False, server_default=text("0")),
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
)

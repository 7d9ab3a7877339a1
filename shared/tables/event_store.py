"""The event store's table, as the `eventsourcing` library's recorder lays it out."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Identity,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
)

from shared.database import EVENTS_TABLE
from shared.tables.base import metadata

# Owned by the `eventsourcing` library's recorder; created here so services run with
# CREATE_TABLE=n (the library's own creation races when services start
# together).
events = Table(
    EVENTS_TABLE,
    metadata,
    Column("originator_id", Uuid, nullable=False),
    Column("originator_version", BigInteger, nullable=False),
    Column("topic", Text),
    Column("state", LargeBinary),
    Column("notification_id", BigInteger, Identity(always=False), nullable=False),
    PrimaryKeyConstraint("originator_id", "originator_version", name=f"{EVENTS_TABLE}_pkey"),
    Index(f"{EVENTS_TABLE}_notification_id_idx", "notification_id", unique=True),
)

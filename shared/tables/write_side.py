"""What the command service keeps beside the events, in the same transaction."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.tables.base import metadata

# Write side: tag names claimed per tenant, kept under the event store's lock with the
# events that claim and release them, so uniqueness holds across racing commands.
tag_names = Table(
    "tag_names",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("name_key", Text, nullable=False),
    Column("tag_id", Uuid, nullable=False),
    PrimaryKeyConstraint("tenant_id", "name_key", name="tag_names_pkey"),
)

# Write side: answers to POSTs with an Idempotency-Key, stored in the transaction that
# records the command's events, so a crash can neither lose nor double a command.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("key", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant_id", "key", name="idempotency_keys_pkey"),
    Index("idempotency_keys_created_idx", "created_at"),
)

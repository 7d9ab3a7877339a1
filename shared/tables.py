"""The schema the code expects; migrations must produce exactly this (a test checks drift)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.database import EVENTS_TABLE

metadata = MetaData()

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

projects = Table(
    "projects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("task_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
    # Bumped by the projector whenever the project's nested view changes.
    Column("revision", BigInteger, nullable=False, server_default=text("0")),
    Index("projects_tenant_page_idx", "tenant_id", "created_at", "id"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("project_id", Uuid, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
    # Bumped by the projector whenever the task's JSON (its tags included) changes.
    Column("revision", BigInteger, nullable=False, server_default=text("0")),
    Index("tasks_tenant_page_idx", "tenant_id", "created_at", "id"),
    Index("tasks_tenant_project_idx", "tenant_id", "project_id", "created_at", "id"),
    Index("tasks_tenant_status_idx", "tenant_id", "status", "created_at", "id"),
)

tags = Table(
    "tags",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    # shared/tag_names.py's key of `name`, written by the projector: the write side's rule.
    Column("name_key", Text, nullable=False),
    Column("color", Text),
    Column("task_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
    Index("tags_tenant_page_idx", "tenant_id", "created_at", "id"),
    Index("tags_tenant_name_key", "tenant_id", "name_key", unique=True),
)

task_tags = Table(
    "task_tags",
    metadata,
    Column("task_id", Uuid, nullable=False),
    Column("tag_id", Uuid, nullable=False),
    Column("tenant_id", Uuid, nullable=False),
    PrimaryKeyConstraint("task_id", "tag_id", name="task_tags_pkey"),
    Index("task_tags_tag_idx", "tag_id", "task_id"),
)

# The nested view of a project as last built, valid while `revision` equals the
# project's: a cache the query service fills on read (docs/decisions.md).
project_documents = Table(
    "project_documents",
    metadata,
    Column("project_id", Uuid, nullable=False),
    Column("tenant_id", Uuid, nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("etag", Text, nullable=False),
    PrimaryKeyConstraint("project_id", name="project_documents_pkey"),
)

# A task's JSON as last built, valid while `revision` equals the task's: filled by
# the task lists that read it (docs/decisions.md).
task_documents = Table(
    "task_documents",
    metadata,
    Column("task_id", Uuid, nullable=False),
    Column("tenant_id", Uuid, nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    PrimaryKeyConstraint("task_id", name="task_documents_pkey"),
)

projection_tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", Text, primary_key=True),
    Column("stream_sequence", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Batches the projector applied one event at a time (see migration 0007).
    Column("fallbacks", BigInteger, nullable=False, server_default="0"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("stream_sequence", BigInteger, nullable=False),
    Column("subject", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("headers", JSONB),
    Column("reason", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

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
# live events (services/command/republish.py).
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

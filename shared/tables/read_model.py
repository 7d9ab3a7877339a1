"""The read model: the normalized tables the projector writes and the query API reads."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    text,
)

from shared.tables.base import metadata

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
    Column("due_on", Date),
    Column("assignee", Text),
    Index("tasks_tenant_page_idx", "tenant_id", "created_at", "id"),
    Index("tasks_tenant_project_idx", "tenant_id", "project_id", "created_at", "id"),
    Index("tasks_tenant_status_idx", "tenant_id", "status", "created_at", "id"),
    # The task list's `assignee` filter, in page order; `due_before`, as a range. Only
    # tasks that have one are indexed: a null matches neither filter.
    Index(
        "tasks_tenant_assignee_idx",
        "tenant_id",
        "assignee",
        "created_at",
        "id",
        postgresql_where=text("assignee IS NOT NULL"),
    ),
    Index(
        "tasks_tenant_due_idx",
        "tenant_id",
        "due_on",
        postgresql_where=text("due_on IS NOT NULL"),
    ),
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

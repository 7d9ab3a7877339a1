"""JSON the query service keeps of what it built, each valid while its revision is current."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, PrimaryKeyConstraint, Table, Text, Uuid

from shared.tables.base import metadata

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

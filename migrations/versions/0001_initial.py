"""Event store, read tables, projection tracking and dead letters.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The recorder inserts through unnest() of this composite type and only looks it up.
    op.execute(
        "CREATE TYPE stored_event_uuid AS "
        "(originator_id uuid, originator_version bigint, topic text, state bytea)"
    )
    op.create_table(
        "taskstream_events",
        sa.Column("originator_id", sa.Uuid(), nullable=False),
        sa.Column("originator_version", sa.BigInteger(), nullable=False),
        sa.Column("topic", sa.Text()),
        sa.Column("state", sa.LargeBinary()),
        sa.Column("notification_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.PrimaryKeyConstraint(
            "originator_id", "originator_version", name="taskstream_events_pkey"
        ),
    )
    op.create_index(
        "taskstream_events_notification_id_idx",
        "taskstream_events",
        ["notification_id"],
        unique=True,
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("task_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_index("projects_tenant_page_idx", "projects", ["tenant_id", "created_at", "id"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_index("tasks_tenant_page_idx", "tasks", ["tenant_id", "created_at", "id"])
    op.create_index(
        "tasks_tenant_project_idx", "tasks", ["tenant_id", "project_id", "created_at", "id"]
    )
    op.create_index("tasks_tenant_status_idx", "tasks", ["tenant_id", "status", "created_at", "id"])
    op.create_table(
        "tags",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("color", sa.Text()),
        sa.Column("task_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_index("tags_tenant_page_idx", "tags", ["tenant_id", "created_at", "id"])
    op.create_index(
        "tags_tenant_name_key", "tags", ["tenant_id", sa.text("lower(name)")], unique=True
    )
    op.create_table(
        "task_tags",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("tag_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "tag_id", name="task_tags_pkey"),
    )
    op.create_index("task_tags_tag_idx", "task_tags", ["tag_id", "task_id"])
    op.create_table(
        "projection_tracking",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("stream_sequence", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("stream_sequence", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("headers", postgresql.JSONB()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("dead_letters")
    op.drop_table("projection_tracking")
    op.drop_index("task_tags_tag_idx", table_name="task_tags")
    op.drop_table("task_tags")
    op.drop_index("tags_tenant_name_key", table_name="tags")
    op.drop_index("tags_tenant_page_idx", table_name="tags")
    op.drop_table("tags")
    op.drop_index("tasks_tenant_status_idx", table_name="tasks")
    op.drop_index("tasks_tenant_project_idx", table_name="tasks")
    op.drop_index("tasks_tenant_page_idx", table_name="tasks")
    op.drop_table("tasks")
    op.drop_index("projects_tenant_page_idx", table_name="projects")
    op.drop_table("projects")
    op.drop_index("taskstream_events_notification_id_idx", table_name="taskstream_events")
    op.drop_table("taskstream_events")
    op.execute("DROP TYPE stored_event_uuid")

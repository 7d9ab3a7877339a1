"""Tasks have a due date and an assignee (both null until set), with the indexes of the
task list's `assignee` and `due_before` filters.

Tasks recorded before have neither: their TaskCreated events are upcast with both null
(shared/stored_events/upcasting.py), so the new columns' nulls are what a rebuild gives.
The kept JSON of tasks and nested project views was built without the two fields, so
it is dropped, to be built again on the next read.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("due_on", sa.Date(), nullable=True))
    op.add_column("tasks", sa.Column("assignee", sa.Text(), nullable=True))
    op.create_index(
        "tasks_tenant_assignee_idx",
        "tasks",
        ["tenant_id", "assignee", "created_at", "id"],
        postgresql_where=sa.text("assignee IS NOT NULL"),
    )
    op.create_index(
        "tasks_tenant_due_idx",
        "tasks",
        ["tenant_id", "due_on"],
        postgresql_where=sa.text("due_on IS NOT NULL"),
    )
    _drop_kept_json()


def downgrade() -> None:
    op.drop_index("tasks_tenant_due_idx", table_name="tasks")
    op.drop_index("tasks_tenant_assignee_idx", table_name="tasks")
    op.drop_column("tasks", "assignee")
    op.drop_column("tasks", "due_on")
    _drop_kept_json()


def _drop_kept_json() -> None:
    op.execute("DELETE FROM task_documents")
    op.execute("DELETE FROM project_documents")

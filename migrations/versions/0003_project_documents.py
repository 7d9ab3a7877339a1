"""Nested project views kept ready: a revision per project and the document cache.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "projects",
        sa.Column("revision", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    op.create_table(
        "project_documents",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name="project_documents_pkey"),
    )


def downgrade() -> None:
    op.drop_table("project_documents")
    op.drop_column("projects", "revision")

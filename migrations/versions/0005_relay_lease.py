"""Relay leadership as a lease, the relay's place in the stream, and republish requests.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_lease",
        sa.Column("stream", sa.Text(), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("holder_pid", sa.Integer(), nullable=False),
        sa.Column("term", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stream_sequence", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("position", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("event_id", sa.Uuid()),
        sa.PrimaryKeyConstraint("stream", name="relay_lease_pkey"),
    )
    op.create_table(
        "relay_republish",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("stream", sa.Text(), nullable=False),
        sa.Column("next_position", sa.BigInteger(), nullable=False),
        sa.Column("through_position", sa.BigInteger(), nullable=False),
        sa.Column("published", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("relay_republish")
    op.drop_table("relay_lease")

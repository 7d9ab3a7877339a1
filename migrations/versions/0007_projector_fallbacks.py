"""The projector counts its fallbacks: batches it could not write whole and applied one
event at a time (services/projector/store.py). The count lives on the tracking row,
written in the fallback's own transaction, and the query service's /metrics shows it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "projection_tracking",
        sa.Column("fallbacks", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("projection_tracking", "fallbacks")

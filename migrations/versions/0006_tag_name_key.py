"""Tag names unique by the command side's rule: a key column computed in Python.

The unique index was on `lower(name)`, whose meaning depends on the database's
collation (under C.UTF-8, `İ` lowercases to `i`), while the command side keys names by
`str.casefold()`: a name the command side accepted could be refused by the read side.
Now both use shared/tag_names.py, and the index is on its result. Existing rows get
their key here; a rebuild would compute the same.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.tag_names import name_key

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_CHUNK = 10_000


def upgrade() -> None:
    op.add_column("tags", sa.Column("name_key", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, name FROM tags")).all()
    update = sa.text("UPDATE tags SET name_key = :key WHERE id = :id")
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        connection.execute(update, [{"id": row.id, "key": name_key(row.name)} for row in chunk])
    op.alter_column("tags", "name_key", nullable=False)
    op.drop_index("tags_tenant_name_key", table_name="tags")
    op.create_index("tags_tenant_name_key", "tags", ["tenant_id", "name_key"], unique=True)


def downgrade() -> None:
    op.drop_index("tags_tenant_name_key", table_name="tags")
    op.drop_column("tags", "name_key")
    op.create_index(
        "tags_tenant_name_key", "tags", ["tenant_id", sa.text("lower(name)")], unique=True
    )

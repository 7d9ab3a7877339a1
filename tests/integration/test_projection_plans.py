"""The projector's per-batch statements find rows by key, never by reading a whole table.

Each live batch runs these whatever the size of the read model, so a plan that scans
a table makes every batch slower as tenants' data grows. With sequential scans
disabled, PostgreSQL still picks one when no index can answer the predicate (as it did
for `id = ANY(...) OR id IN (...)`), which is what these tests catch.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import psycopg
import pytest

from services.projector.projection import affected, counts
from shared.database import DatabaseAddress

IDS = [uuid4() for _ in range(3)]
STATEMENTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "owners": (affected._OWNERS, (IDS, IDS)),
    "bump projects": (affected._BUMP, (IDS, IDS, IDS)),
    "bump tasks": (affected._BUMP_TASKS, (IDS,)),
    "carriers": (affected._CARRIERS, (IDS,)),
    "carried tags": (affected._CARRIED_TAGS, (IDS, IDS)),
    "recount projects": (counts._RECOUNT_PROJECTS, (IDS,)),
    "recount tags": (counts._RECOUNT_TAGS, (IDS,)),
}
READ_TABLES = ("projects", "tasks", "tags", "task_tags")


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_a_batch_statement_reads_by_index(database_url: str, name: str) -> None:
    statement, params = STATEMENTS[name]
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            str(row[0]) for row in conn.execute(f"EXPLAIN {statement}", params).fetchall()
        )
        conn.rollback()
    scans = [f"Seq Scan on {table}" for table in READ_TABLES if f"Seq Scan on {table} " in plan]
    assert not scans, f"{name} scans a whole table:\n{plan}"

"""The hourly sweep drops kept copies of deleted tasks, never a live task's, and never
waits for a read that holds one."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import psycopg

from services.projector.sweep import sweep_orphans
from shared.database import DatabaseAddress
from tests.support import seed_project

TENANT = uuid4()


def test_the_sweep_drops_orphans_only_and_skips_what_is_locked(database_url: str) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    project, _ = seed_project(conninfo, TENANT, 3)
    free, held = uuid4(), uuid4()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        live = [
            row[0] for row in conn.execute("SELECT id FROM tasks WHERE project_id = %s", (project,))
        ]
        for task in [*live, free, held]:
            conn.execute(
                "INSERT INTO task_documents (task_id, tenant_id, revision, body)"
                " VALUES (%s, %s, 1, '{}')",
                (task, TENANT),
            )
        with psycopg.connect(conninfo) as reader:
            reader.execute("SELECT 1 FROM task_documents WHERE task_id = %s FOR UPDATE", (held,))
            swept = asyncio.run(asyncio.wait_for(sweep_orphans(conninfo), timeout=10))
            assert swept == 1, "the free orphan only; the held one is skipped, not waited for"
        assert asyncio.run(sweep_orphans(conninfo)) == 1, "the held orphan goes next time"
        kept = {row[0] for row in conn.execute("SELECT task_id FROM task_documents")}
    assert kept == set(live)

"""The task list's `assignee` and `due_before` filters are answered by their indexes,
never by reading a tenant's tasks one by one.

The read tables hold two tenants of 3,000 tasks each (statistics taken), of which a few
are assigned and a few more have a due date: what a real tenant looks like to the
planner. The statement is the one the query API runs (services/query/pages.py); with
sequential scans disabled, as the other plan tests do, a plan that still filters the
page index row by row is what these tests catch.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest

from services.query.pages import EPOCH, NIL, TaskFilters, task_statement
from shared.database import DatabaseAddress

TENANTS = [uuid4(), uuid4()]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TASKS, ASSIGNED, DUE = 3000, 20, 60
ASSIGNEE_INDEX, DUE_INDEX = "tasks_tenant_assignee_idx", "tasks_tenant_due_idx"


@pytest.fixture
def conninfo(database_url: str) -> str:
    """Two tenants' tasks: every 150th assigned to ana, every 50th due in 2026."""
    info = DatabaseAddress.parse(database_url).conninfo()
    rows = [
        (
            uuid4(),
            tenant,
            uuid4(),
            T0 + timedelta(seconds=n),
            "ana" if n % (TASKS // ASSIGNED) == 0 else None,
            date(2026, 1, 1) + timedelta(days=n % 365) if n % (TASKS // DUE) == 0 else None,
        )
        for tenant in TENANTS
        for n in range(TASKS)
    ]
    with psycopg.connect(info) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO tasks (id, tenant_id, project_id, title, status, created_at,"
            " updated_at, version, assignee, due_on)"
            " VALUES (%s, %s, %s, 't', 'pending', %s, %s, 1, %s, %s)",
            [(i, t, p, c, c, a, d) for i, t, p, c, a, d in rows],
        )
    with psycopg.connect(info, autocommit=True) as conn:
        conn.execute("ANALYZE tasks")
    return info


def plan_of(conninfo: str, tenant: UUID, filters: TaskFilters) -> str:
    statement, params = task_statement(tenant, filters)
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET LOCAL enable_seqscan = off")
        rows = conn.execute(f"EXPLAIN {statement}", (*params, EPOCH, NIL, 51)).fetchall()
        conn.rollback()
    return "\n".join(str(row[0]) for row in rows)


def test_the_assignee_filter_reads_its_index(conninfo: str) -> None:
    plan = plan_of(conninfo, TENANTS[0], TaskFilters(assignee="ana"))
    assert ASSIGNEE_INDEX in plan, plan


def test_the_due_date_filter_reads_its_index(conninfo: str) -> None:
    plan = plan_of(conninfo, TENANTS[0], TaskFilters(due_before=date(2026, 12, 31)))
    assert DUE_INDEX in plan, plan


def test_assignee_and_due_before_together_read_by_index(conninfo: str) -> None:
    """Either index narrows the tenant's tasks to a few; the planner picks."""
    filters = TaskFilters(assignee="ana", due_before=date(2026, 12, 31))
    for tenant in TENANTS:
        plan = plan_of(conninfo, tenant, filters)
        assert ASSIGNEE_INDEX in plan or DUE_INDEX in plan, plan
        assert "tasks_tenant_page_idx" not in plan, plan
        assert "Seq Scan on tasks" not in plan, plan

"""Reads of one object that start together share one statement (services/query/batched.py),
and each still gets exactly its own answer: its own object, nothing of another tenant's,
its own error, and its cancellation alone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool, PoolClosed

from services.dev.postgres import EmbeddedPostgres
from services.query import queries
from services.query.batched import BatchedReads
from services.query.objects import Found, ObjectReads
from services.query.pool import Pool
from shared.database import DatabaseAddress
from tests.support import StatementLog, log_statements, seed_project

TENANT, OTHER = uuid4(), uuid4()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    log_statements(database_url)
    async with AsyncConnectionPool(
        DatabaseAddress.parse(database_url).conninfo(),
        min_size=2,
        max_size=2,
        kwargs={"autocommit": True},
        open=False,
    ) as opened:
        yield opened


def ids_of(found: list[Found | None]) -> list[str | None]:
    return [None if f is None else json.loads(f.body)["id"] for f in found]


async def test_views_read_together_share_one_statement_and_each_gets_its_own(
    pool: Pool, database_url: str, postgres_server: EmbeddedPostgres
) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    mine = [seed_project(conninfo, TENANT, tasks)[0] for tasks in (0, 1, 3)]
    theirs, _ = seed_project(conninfo, OTHER, 1)
    objects = ObjectReads.over(pool)
    await objects.project_with_tasks(TENANT, mine[0])

    log = StatementLog(postgres_server.log_path)
    asked = [
        *((TENANT, project) for project in mine),
        (TENANT, mine[1]),
        (TENANT, theirs),
        (TENANT, uuid4()),
        (OTHER, theirs),
        (OTHER, mine[0]),
    ]
    found = await asyncio.gather(
        *(objects.project_with_tasks(tenant, project) for tenant, project in asked)
    )

    assert log.count() == 1
    assert ids_of(found) == [*map(str, mine), str(mine[1]), None, None, str(theirs), None]
    assert [len(json.loads(f.body)["tasks"]) for f in found[:3] if f] == [0, 1, 3]
    assert found[3] == found[1]


async def test_unbatched_each_read_sends_its_own_statement_with_the_same_answers(
    pool: Pool, database_url: str, postgres_server: EmbeddedPostgres
) -> None:
    """FastPath.BATCHED_READS off: what every read answers does not change."""
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    mine, _ = seed_project(conninfo, TENANT, 2)
    theirs, _ = seed_project(conninfo, OTHER, 1)
    asked = [(TENANT, mine), (TENANT, mine), (TENANT, theirs), (OTHER, theirs)]
    batched, unbatched = ObjectReads.over(pool), ObjectReads.over(pool, batched=False)
    expected = await asyncio.gather(*(batched.project_with_tasks(t, p) for t, p in asked))

    log = StatementLog(postgres_server.log_path)
    found = await asyncio.gather(*(unbatched.project_with_tasks(t, p) for t, p in asked))

    assert log.count() == len(asked)
    assert found == expected
    assert ids_of(found) == [str(mine), str(mine), None, str(theirs)]


async def test_tasks_and_tags_read_together_share_a_statement_per_kind(
    pool: Pool, database_url: str, postgres_server: EmbeddedPostgres
) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    project, tag = seed_project(conninfo, TENANT, 2)
    _, their_tag = seed_project(conninfo, OTHER, 1)
    with psycopg.connect(conninfo) as conn:
        tasks = [
            UUID(str(r[0]))
            for r in conn.execute(
                "SELECT id FROM tasks WHERE project_id = %s ORDER BY created_at", (project,)
            )
        ]
    objects = ObjectReads.over(pool)

    log = StatementLog(postgres_server.log_path)
    found = await asyncio.gather(
        *(objects.task(TENANT, task) for task in tasks),
        objects.tag(TENANT, tag),
        objects.tag(TENANT, their_tag),
    )

    assert log.count() == 2
    bodies = [None if one is None else json.loads(one.body) for one in found]
    assert [b["id"] if b else None for b in bodies] == [*map(str, tasks), str(tag), None]
    assert bodies[2] is not None and bodies[2]["task_count"] == 2


async def test_more_reads_than_a_batch_holds_go_out_in_several(
    pool: Pool, database_url: str, postgres_server: EmbeddedPostgres
) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    projects = [seed_project(conninfo, TENANT, 1)[0] for _ in range(5)]
    views = BatchedReads(pool, queries.PROJECTS_WITH_TASKS, max_batch=2)

    log = StatementLog(postgres_server.log_path)
    found = await asyncio.gather(*(views.get(TENANT, p) for p in projects))

    assert log.count() == 3
    assert [json.loads(row[0])["id"] if row else None for row in found] == list(map(str, projects))


async def test_a_cancelled_read_leaves_the_others_of_its_batch_answered(
    pool: Pool, database_url: str
) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    first, second = (seed_project(conninfo, TENANT, 1)[0] for _ in range(2))
    objects = ObjectReads.over(pool)
    reads = [
        asyncio.create_task(objects.project_with_tasks(TENANT, p)) for p in (first, first, second)
    ]
    await asyncio.sleep(0)
    reads[0].cancel()

    done = await asyncio.gather(*reads, return_exceptions=True)

    assert isinstance(done[0], asyncio.CancelledError)
    assert ids_of([done[1], done[2]]) == [str(first), str(second)]  # type: ignore[list-item]


async def test_a_failed_batch_fails_every_read_in_it(pool: Pool) -> None:
    objects = ObjectReads.over(pool)
    await pool.close()

    done = await asyncio.gather(
        *(objects.project_with_tasks(TENANT, uuid4()) for _ in range(3)),
        return_exceptions=True,
    )

    assert all(isinstance(error, PoolClosed) for error in done), done


@pytest.mark.parametrize(
    "statement", [queries.PROJECTS_WITH_TASKS, queries.TASKS_BY_ID, queries.TAGS_BY_ID]
)
def test_a_batch_finds_its_objects_by_index(database_url: str, statement: str) -> None:
    """Never by reading a whole table, however many objects the tenants hold."""
    ids = [uuid4() for _ in range(3)]
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            str(row[0]) for row in conn.execute(f"EXPLAIN {statement}", (ids, ids)).fetchall()
        )
        conn.rollback()
    assert "Seq Scan" not in plan, plan

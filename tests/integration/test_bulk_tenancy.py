"""The projection's writes name the tenant: an event of one tenant that names another
tenant's ids changes none of that tenant's rows, whatever it is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from services.projector.projection import counts, writing
from services.projector.projection.fold import fold
from shared.database import DatabaseAddress
from shared.stored_events.decoding import Stored
from tests.support import READ_TABLES, read_model, seed_project

VICTIM, INTRUDER = uuid4(), uuid4()
TIME = "2026-03-02T00:00:00+00:00"


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[psycopg.AsyncConnection[tuple[Any, ...]]]:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    async with await psycopg.AsyncConnection.connect(conninfo) as connection:
        yield connection


def intruding(kind: str, aggregate_id: object, **data: object) -> Stored:
    """An event of the intruder's tenant naming the victim's ids, at a high version."""
    return Stored(kind, str(aggregate_id), 99, str(INTRUDER), TIME, {**data})


async def test_events_naming_another_tenants_ids_change_none_of_its_rows(
    database_url: str, conn: psycopg.AsyncConnection[tuple[Any, ...]]
) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    project, tag = seed_project(conninfo, VICTIM, 2)
    other_project, other_tag = seed_project(conninfo, VICTIM, 1)
    before = read_model(database_url)
    task, other_task = (row[0] for row in before["tasks"] if row[2] == project)
    events = [
        intruding("ProjectRenamed", project, name="pwned"),
        intruding("TaskRenamed", task, title="pwned"),
        intruding("TaskStatusChanged", task, status="done"),
        intruding("TaskMoved", task, project_id=str(other_project)),
        intruding("TaskUntagged", task, tag_id=str(tag)),
        intruding("TaskTagged", other_task, tag_id=str(other_tag)),
        intruding("TagRenamed", tag, name="pwned"),
        intruding("TaskDeleted", other_task, project_id=str(project)),
        intruding("TagDeleted", other_tag),
        intruding("ProjectDeleted", other_project),
        intruding("ProjectDeleted", project),
    ]
    for one_at_a_time in ([event] for event in events):
        async with conn.transaction():
            await writing.write(await fold(conn, one_at_a_time), conn)
    async with conn.transaction():
        await writing.write(await fold(conn, events), conn)
        async with conn.cursor() as cur:
            await counts.recount(cur)
    after = read_model(database_url)
    for table in READ_TABLES:
        assert after[table] == before[table], f"{table} changed by another tenant's events"

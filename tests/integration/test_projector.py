"""The projector against real JetStream and PostgreSQL: exactly once, in order, never stuck."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
import psycopg

from services.projector.consumer import Projector
from shared.database import DatabaseAddress
from shared.event_ids import event_id_text
from shared.events.envelope import EventEnvelope
from shared.nats import connect, ensure_stream
from tests.stored import publish, store_events, store_rows, stored_row
from tests.support import eventually, running

TENANT = uuid4()
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def envelope(
    position: int, kind: str, aggregate_id: UUID, version: int, **data: Any
) -> EventEnvelope:
    return EventEnvelope(
        id=UUID(event_id_text(str(aggregate_id), version)),
        type=kind,
        tenant_id=TENANT,
        position=position,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        time=T0,
        actor=None,
        data={"project_id": str(aggregate_id), **data},
    )


def projector(database_url: str, nats_url: str) -> Projector:
    return Projector(DatabaseAddress.parse(database_url).conninfo(), nats_url, "TASKSTREAM")


async def rows(database_url: str, statement: str) -> list[tuple[Any, ...]]:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    async with await psycopg.AsyncConnection.connect(conninfo) as conn:
        cur = await conn.execute(statement)
        return await cur.fetchall()


async def applied_position(database_url: str) -> int:
    found = await rows(database_url, "SELECT position FROM projection_tracking")
    return int(found[0][0]) if found else 0


async def wait_for_position(database_url: str, position: int) -> None:
    async def reached() -> bool:
        return await applied_position(database_url) >= position

    await eventually(reached, what=f"read model at position {position}")


async def test_events_become_rows_with_the_position_tracked(
    database_url: str, nats_url: str
) -> None:
    project = uuid4()
    events = (
        envelope(3, "ProjectCreated", project, 1, name="Launch", description=None),
        envelope(7, "ProjectRenamed", project, 2, name="Liftoff"),
        envelope(9, "ProjectDescriptionChanged", project, 3, description="go"),
    )
    store_events(database_url, *events)
    await publish(nats_url, *events)
    async with running(projector(database_url, nats_url)):
        await wait_for_position(database_url, 9)
    assert await rows(
        database_url, "SELECT id, tenant_id, name, description, version FROM projects"
    ) == [(project, TENANT, "Liftoff", "go", 3)]
    assert await rows(
        database_url, "SELECT stream_sequence, position FROM projection_tracking"
    ) == [(3, 9)]


async def test_a_restart_resumes_without_applying_anything_twice(
    database_url: str, nats_url: str
) -> None:
    first, second = uuid4(), uuid4()
    created = envelope(1, "ProjectCreated", first, 1, name="a", description=None)
    store_events(database_url, created)
    await publish(nats_url, created)
    async with running(projector(database_url, nats_url)):
        await wait_for_position(database_url, 1)
    later = (
        envelope(2, "ProjectDeleted", first, 2),
        envelope(3, "ProjectCreated", second, 1, name="b", description=None),
    )
    store_events(database_url, *later)
    await publish(nats_url, *later)
    async with running(projector(database_url, nats_url)):
        await wait_for_position(database_url, 3)
    assert await rows(database_url, "SELECT id FROM projects") == [(second,)]
    assert await rows(database_url, "SELECT stream_sequence FROM projection_tracking") == [(3,)]


async def test_poison_messages_are_parked_and_the_projector_keeps_going(
    database_url: str, nats_url: str
) -> None:
    project = uuid4()
    unknown = envelope(2, "ProjectCreated", uuid4(), 1, name="x", description=None).to_cloudevent()
    unknown["type"] = "ProjectTeleported"
    survivor = envelope(5, "ProjectCreated", project, 1, name="survivor", description=None)
    store_events(database_url, survivor)
    await publish(
        nats_url,
        (f"taskstream.events.{TENANT}.project.ProjectCreated", b"\x00garbage"),
        (f"taskstream.events.{TENANT}.project.ProjectTeleported", orjson.dumps(unknown)),
        survivor,
    )
    live = projector(database_url, nats_url)
    async with running(live):
        await wait_for_position(database_url, 5)
        assert live.tracking.stream_sequence == 3
    parked = await rows(database_url, "SELECT stream_sequence, reason FROM dead_letters ORDER BY 1")
    assert [p[0] for p in parked] == [1, 2]
    assert "not JSON" in parked[0][1]
    assert "ProjectTeleported" in parked[1][1]
    assert await rows(database_url, "SELECT name FROM projects") == [("survivor",)]


async def test_a_republished_event_is_not_applied_again(database_url: str, nats_url: str) -> None:
    project = uuid4()
    created = envelope(1, "ProjectCreated", project, 1, name="a", description=None)
    renamed = envelope(2, "ProjectRenamed", project, 2, name="b")
    store_events(database_url, created, renamed)
    await publish(nats_url, created, renamed)
    async with running(projector(database_url, nats_url)):
        await wait_for_position(database_url, 2)
        # Outside JetStream's duplicate window a republish lands again; simulate it.
        await publish(nats_url, (created.subject, created.to_bytes(), {"Nats-Msg-Id": "again"}))

        async def consumed() -> bool:
            tracked = await rows(database_url, "SELECT stream_sequence FROM projection_tracking")
            return bool(tracked[0][0] == 3)

        await eventually(consumed, what="republished message consumed")
    assert await rows(database_url, "SELECT name, version FROM projects") == [("b", 2)]
    assert await rows(database_url, "SELECT count(*) FROM dead_letters") == [(0,)]


async def test_a_large_backlog_is_consumed_without_stalling(
    database_url: str, nats_url: str
) -> None:
    """More messages than any client-side buffer: a push consumer stalls here for good."""
    count = 25_000
    messages = [
        envelope(n, "ProjectCreated", uuid4(), 1, name=f"p{n}", description=None)
        for n in range(1, count + 1)
    ]
    store_rows(database_url, map(stored_row, messages))
    nc = await connect(nats_url, name="test-publisher")
    try:
        js = nc.jetstream()
        await ensure_stream(js, "TASKSTREAM")
        pending = []
        for message in messages:
            pending.append(
                await js.publish_async(
                    message.subject, message.to_bytes(), headers={"Nats-Msg-Id": str(message.id)}
                )
            )
            if len(pending) == 2000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await nc.close()
    async with running(projector(database_url, nats_url)):

        async def all_applied() -> bool:
            return await applied_position(database_url) == count

        await eventually(all_applied, what=f"{count} events applied", within=90)
    assert await rows(database_url, "SELECT count(*) FROM projects") == [(count,)]

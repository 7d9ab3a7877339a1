"""Reading the store's next events ahead changes nothing but when they are read: a
batch screened against rows read ahead gets the verdicts it gets against the rows read
in its own first message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import psycopg

from services.projector.intake.incoming import Incoming
from services.projector.intake.lookahead import READ_AHEAD_FROM, Lookahead
from services.projector.store import ProjectionStore
from services.projector.tracking import Tracking
from shared.database import DatabaseAddress
from shared.events import EventEnvelope
from tests.integration.test_projector_poison import SUBJECT, copy_of, event, forged
from tests.stored import Message, store_events
from tests.support import read_model

EVENTS = 700


def recorded() -> list[EventEnvelope]:
    """Projects created, every tenth renamed right after."""
    events: list[EventEnvelope] = []
    while len(events) < EVENTS:
        project = uuid4()
        events.append(event(len(events) + 1, "ProjectCreated", project, 1, name="p"))
        if len(events) % 10 == 9:
            events.append(event(len(events) + 1, "ProjectRenamed", project, 2, name="q"))
    return events


def incoming(messages: Sequence[EventEnvelope | Message], first: int) -> list[Incoming]:
    batch = []
    for sequence, message in enumerate(messages, start=first):
        if isinstance(message, EventEnvelope):
            message = (message.subject, message.to_bytes())
        batch.append(Incoming(sequence, message[0], message[1], {}))
    return batch


def batches(events: list[EventEnvelope]) -> list[list[Incoming]]:
    """The first large enough to read ahead for the second, which holds poison of every
    verdict and is large enough to read ahead for the third, which the store cannot
    fill (a short read)."""
    first = events[:300]
    second: list[EventEnvelope | Message] = [
        (SUBJECT, b"\x00garbage"),
        forged(position=301),
        *events[300:350],
        copy_of(events[359]),
        *events[350:550],
        copy_of(events[9]),
        forged(position=10**9),
    ]
    third = events[550:]
    assert len(second) >= READ_AHEAD_FROM
    return [
        incoming(first, 1),
        incoming(second, 301),
        incoming(third, 301 + len(second)),
    ]


async def project(
    database_url: str, events: list[EventEnvelope], ahead: bool
) -> tuple[Tracking, list[tuple[Any, ...]], dict[str, list[tuple[Any, ...]]], int]:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    async with (
        await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn,
        await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as reader,
    ):
        await conn.execute(
            "TRUNCATE projects, tasks, tags, task_tags, projection_tracking, dead_letters"
        )
        lookahead = Lookahead(reader)
        store = ProjectionStore(conn, lookahead if ahead else None)
        tracking = Tracking(0, 0)
        for batch in batches(events):
            tracking = await store.apply(batch, tracking)
        cur = await conn.execute("SELECT stream_sequence, reason FROM dead_letters ORDER BY 1")
        letters = await cur.fetchall()
    return tracking, letters, read_model(database_url), lookahead.used


async def test_batches_screened_against_rows_read_ahead_get_the_same_verdicts(
    database_url: str,
) -> None:
    events = recorded()
    store_events(database_url, *events)
    read_in_batch = await project(database_url, events, ahead=False)
    read_ahead = await project(database_url, events, ahead=True)
    assert read_ahead[:3] == read_in_batch[:3]
    assert read_ahead[3] == 1, "only the second batch can use a read ahead"
    tracking, letters, model, _ = read_ahead
    assert tracking == Tracking(EVENTS + 5, EVENTS)
    assert [(sequence, reason.split(":")[0]) for sequence, reason in letters] == [
        (301, "body is not JSON"),
        (302, "not in the event store"),
        (353, "out of order"),
        (555, "not in the event store"),
    ]
    assert len(model["projects"]) == sum(e.type == "ProjectCreated" for e in events)

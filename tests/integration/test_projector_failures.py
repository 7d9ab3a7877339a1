"""One failure path, whatever raised: a message or event that cannot be applied is set
aside and the rest of its batch applied; a lost database is not the message's fault and
stops the batch (the projector resumes from the committed position)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from services.projector.intake import screening
from services.projector.intake.incoming import Incoming
from services.projector.projection import rules
from services.projector.projection.page import Page
from services.projector.store import ProjectionStore
from services.projector.tracking import Tracking
from shared.database import DatabaseAddress
from shared.events.envelope import EventEnvelope
from shared.stored_events.decoding import Stored
from tests.integration.test_projector_poison import event
from tests.stored import store_events

Conn = psycopg.AsyncConnection[tuple[Any, ...]]
P1, P2, P3 = uuid4(), uuid4(), uuid4()
EVENTS = [
    event(1, "ProjectCreated", P1, 1, name="one"),
    event(2, "ProjectCreated", P2, 1, name=None),
    event(3, "ProjectRenamed", P1, 2, name="uno"),
    event(4, "ProjectCreated", P3, 1, name="three"),
]


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[Conn]:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as connection:
        yield connection


def messages(events: Sequence[EventEnvelope]) -> list[Incoming]:
    return [Incoming(n, e.subject, e.to_bytes(), {}) for n, e in enumerate(events, start=1)]


async def select(conn: Conn, statement: str) -> list[tuple[Any, ...]]:
    cur = await conn.execute(statement)
    return await cur.fetchall()


async def test_whatever_an_events_rule_raises_sets_that_event_aside(
    database_url: str, conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refused creation and the rename's rule, which raises a plain Python error,
    fail the batch; applied one at a time by the same rules, both are set aside, the
    position moves past both (they are the store's events), the others are applied,
    and the fallback is counted where /metrics reads it."""

    def broken(page: Page, e: Stored) -> None:
        raise AttributeError("not a database error")

    monkeypatch.setitem(rules.RULES, "ProjectRenamed", broken)
    store_events(database_url, *EVENTS)
    store = ProjectionStore(conn)
    tracking = await store.apply(messages(EVENTS), Tracking(0, 0))
    assert tracking == Tracking(4, 4)
    assert await select(conn, "SELECT name FROM projects ORDER BY name") == [("one",), ("three",)]
    letters = await select(conn, "SELECT stream_sequence, reason FROM dead_letters ORDER BY 1")
    assert [(n, reason.split(" refused")[0]) for n, reason in letters] == [
        (2, "ProjectCreated at position 2"),
        (3, "ProjectRenamed at position 3"),
    ]
    assert "NotNullViolation" in letters[0][1]
    assert "AttributeError" in letters[1][1]
    assert store.dead_lettered == 2
    assert store.fallbacks == 1
    assert await select(conn, "SELECT fallbacks FROM projection_tracking") == [(1,)]


async def test_whatever_screening_a_message_raises_sets_that_message_aside(
    database_url: str, conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Screening is checked code, but a message must not be able to stall the projector
    through a fault in it either: screened alone, the one that trips it is set aside."""
    screen = screening.screen

    def tripped(batch: Sequence[Incoming], *args: Any) -> screening.Screened:
        if any(message.subject == "trip" for message in batch):
            raise ZeroDivisionError("a fault in screening")
        return screen(batch, *args)

    monkeypatch.setattr(screening, "screen", tripped)
    healthy = [EVENTS[0], EVENTS[3]]
    store_events(database_url, *healthy)
    batch = messages(healthy)
    batch.insert(1, Incoming(9, "trip", healthy[1].to_bytes(), {}))
    store = ProjectionStore(conn)
    tracking = await store.apply(batch, Tracking(0, 0))
    assert tracking == Tracking(batch[-1].stream_sequence, 4)
    assert await select(conn, "SELECT name FROM projects ORDER BY name") == [("one",), ("three",)]
    letters = await select(conn, "SELECT stream_sequence, reason FROM dead_letters")
    fault = "ZeroDivisionError('a fault in screening')"
    assert letters == [(9, f"could not be checked against the event store: {fault}")]


async def test_a_lost_connection_stops_the_batch_and_sets_nothing_aside(
    database_url: str, conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    fold = rules.apply

    def cut_off(page: Page, e: Any) -> None:
        with psycopg.connect(conninfo, autocommit=True) as other:
            other.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND application_name <> 'kept'"
            )
        fold(page, e)

    healthy = [EVENTS[0], EVENTS[3]]
    store_events(database_url, *healthy)
    monkeypatch.setattr(rules, "apply", cut_off)
    with pytest.raises(psycopg.OperationalError):
        await ProjectionStore(conn).apply(messages(healthy), Tracking(0, 0))
    async with await psycopg.AsyncConnection.connect(conninfo, application_name="kept") as fresh:
        assert await select(fresh, "SELECT count(*) FROM dead_letters") == [(0,)]
        assert await select(fresh, "SELECT count(*) FROM projects") == [(0,)]
        assert await select(fresh, "SELECT count(*) FROM projection_tracking") == [(0,)]

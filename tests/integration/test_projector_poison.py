"""One stray message never stalls, forges or silently drops: a table of poison kinds.

Each case puts three events in the store and on the stream, with one poison message
between the first and the others: the projector must set the poison aside (counted,
logged once, with its reason), or skip it when it is a duplicate, and apply the real
events published after it. The tracked position never takes a position that is not the
store's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest

from services.projector.consumer import Projector
from shared.database import DatabaseAddress
from shared.event_ids import event_id_text
from shared.events.envelope import EventEnvelope
from tests.integration.test_projector import rows
from tests.stored import Message, publish, store_events
from tests.support import eventually, running

TENANT, OTHER = uuid4(), uuid4()
T0 = datetime(2026, 3, 1, tzinfo=UTC)
P1, P2 = uuid4(), uuid4()
SUBJECT = f"taskstream.events.{TENANT}.project.ProjectDeleted"


def event(
    position: int,
    kind: str,
    aggregate_id: UUID,
    version: int,
    tenant: UUID = TENANT,
    **data: Any,
) -> EventEnvelope:
    return EventEnvelope(
        id=UUID(event_id_text(str(aggregate_id), version)),
        type=kind,
        tenant_id=tenant,
        position=position,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        time=T0,
        actor="tester",
        data={"project_id": str(aggregate_id), **data},
    )


FIRST = event(1, "ProjectCreated", P1, 1, name="one", description=None)
SECOND = event(2, "ProjectCreated", P2, 1, name="two", description=None)
THIRD = event(3, "ProjectRenamed", P1, 2, name="one renamed")


def forged(**changes: Any) -> Message:
    """A ProjectDeleted of the first project that no command recorded, altered."""
    cloudevent = event(4, "ProjectDeleted", P1, 2).to_cloudevent() | changes
    return SUBJECT, orjson.dumps(cloudevent)


def copy_of(real: EventEnvelope, **changes: Any) -> Message:
    return real.subject, orjson.dumps(real.to_cloudevent() | changes)


def with_data(**data: Any) -> Message:
    cloudevent = event(4, "ProjectCreated", uuid4(), 1).to_cloudevent()
    return SUBJECT, orjson.dumps(cloudevent | {"data": data})


def status(code: str) -> Message:
    """Shaped like a JetStream status reply, but stored on the stream as a message."""
    return SUBJECT, b"", {"Status": code, "Description": "No Messages"}


SKIPPED = ""
POISON: dict[str, tuple[Callable[[], Message], str]] = {
    "garbage bytes": (lambda: (SUBJECT, b"\x00\xffgarbage"), "not JSON"),
    "json, not an object": (lambda: (SUBJECT, b"[1, 2]"), "not a JSON object"),
    "empty body": (lambda: (SUBJECT, b""), "not JSON"),
    "unknown type": (lambda: forged(type="ProjectTeleported"), "unknown event type"),
    "forged, at a new position": (forged, "not in the event store"),
    "forged, at the next real position": (lambda: forged(position=2), "not in the event store"),
    "forged, far ahead": (lambda: forged(position=10**9), "not in the event store"),
    "forged, at an applied position": (lambda: forged(position=1), "not in the event store"),
    "a real event with another id": (
        lambda: copy_of(SECOND, id=str(uuid4())),
        "not in the event store",
    ),
    "a real event with another version": (
        lambda: copy_of(SECOND, aggregateversion=2),
        "not in the event store",
    ),
    "a real event with another type": (
        lambda: copy_of(SECOND, type="ProjectRenamed"),
        "not in the event store",
    ),
    "a real event copied ahead of its turn": (lambda: copy_of(THIRD), "out of order"),
    "foreign source": (lambda: copy_of(SECOND, source="elsewhere"), "not a taskstream"),
    "wrong spec version": (lambda: copy_of(SECOND, specversion="0.3"), "not a taskstream"),
    "other tenant's ids": (lambda: forged(tenantid=str(OTHER)), "not in the event store"),
    "a real event under another tenant": (
        lambda: copy_of(SECOND, tenantid=str(OTHER)),
        "not in the event store",
    ),
    "position 2**63": (lambda: forged(position=2**63), "position"),
    "position -1": (lambda: forged(position=-1), "position"),
    "position 0": (lambda: forged(position=0), "position"),
    "position a string": (lambda: forged(position="4"), "position"),
    "position a float": (lambda: forged(position=4.0), "position"),
    "version a boolean": (lambda: forged(aggregateversion=True), "aggregateversion"),
    "version 0": (lambda: forged(aggregateversion=0), "aggregateversion"),
    "tenant a number": (lambda: forged(tenantid=42), "tenantid"),
    "aggregate id not a UUID": (lambda: forged(aggregateid="../etc"), "aggregateid"),
    "id missing": (lambda: _without("id"), "'id'"),
    "data a list": (lambda: forged(data=[1]), "data"),
    "data field a JSON object": (lambda: with_data(name={"x": 1}), "not in the event store"),
    "data field a number": (lambda: with_data(name=7, description=[]), "not in the event store"),
    "Status: 409 header": (lambda: status("409"), "not JSON"),
    "Status: 404 header": (lambda: status("404"), "not JSON"),
    "Status: 408 header": (lambda: status("408"), "not JSON"),
    "Status: 100 header": (lambda: status("100"), "not JSON"),
    "duplicate of an applied event": (lambda: copy_of(FIRST), SKIPPED),
}


def _without(attribute: str) -> Message:
    cloudevent = event(4, "ProjectDeleted", P1, 2).to_cloudevent()
    del cloudevent[attribute]
    return SUBJECT, orjson.dumps(cloudevent)


PROJECTS = "SELECT id, tenant_id, name, description, version FROM projects ORDER BY name"


@dataclass(frozen=True)
class Outcome:
    tracking: list[tuple[Any, ...]]
    projects: list[tuple[Any, ...]]
    dead_letters: list[tuple[Any, ...]]
    logged: list[logging.LogRecord]


async def project_with_poison(
    database_url: str, nats_url: str, poison: Message, caplog: pytest.LogCaptureFixture
) -> Outcome:
    store_events(database_url, FIRST, SECOND, THIRD)
    await publish(nats_url, FIRST, poison, SECOND, THIRD)
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    with caplog.at_level(logging.INFO):
        async with running(Projector(conninfo, nats_url, "TASKSTREAM")):

            async def all_consumed() -> bool:
                found = await rows(database_url, "SELECT stream_sequence FROM projection_tracking")
                return bool(found and found[0][0] == 4)

            await eventually(all_consumed, what="the stream consumed past the poison")
    return Outcome(
        await rows(database_url, "SELECT stream_sequence, position FROM projection_tracking"),
        await rows(
            database_url,
            "SELECT id, tenant_id, name, description, version FROM projects ORDER BY name",
        ),
        await rows(database_url, "SELECT stream_sequence, reason FROM dead_letters"),
        [r for r in caplog.records if r.getMessage() == "message set aside in dead_letters"],
    )


@pytest.mark.parametrize("kind", list(POISON))
async def test_a_poison_message_is_set_aside_and_the_events_after_it_applied(
    database_url: str, nats_url: str, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    make, reason = POISON[kind]
    outcome = await project_with_poison(database_url, nats_url, make(), caplog)
    assert outcome.tracking == [(4, 3)]
    assert outcome.projects == [(P1, TENANT, "one renamed", None, 2), (P2, TENANT, "two", None, 1)]
    if reason == SKIPPED:
        assert outcome.dead_letters == []
        assert outcome.logged == []
        return
    assert len(outcome.dead_letters) == 1
    sequence, recorded = outcome.dead_letters[0]
    assert sequence == 2
    assert reason in recorded
    assert [(r.__dict__["stream_sequence"], r.__dict__["reason"]) for r in outcome.logged] == [
        (2, recorded)
    ]


async def test_a_real_event_with_a_status_header_is_applied(
    database_url: str, nats_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A header merely named like JetStream's status line does not make a message a
    status reply: the event carrying it is the store's, and it is applied."""
    headers = {"Status": "404", "Nats-Msg-Id": str(SECOND.id)}
    store_events(database_url, FIRST, SECOND, THIRD)
    await publish(nats_url, FIRST, (SECOND.subject, SECOND.to_bytes(), headers), THIRD)
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    async with running(Projector(conninfo, nats_url, "TASKSTREAM")):

        async def applied() -> bool:
            found = await rows(database_url, "SELECT position FROM projection_tracking")
            return bool(found and found[0][0] == 3)

        await eventually(applied, what="the event with a Status header applied")
    assert await rows(database_url, "SELECT name FROM projects ORDER BY name") == [
        ("one renamed",),
        ("two",),
    ]
    assert await rows(database_url, "SELECT count(*) FROM dead_letters") == [(0,)]


async def test_forged_data_under_a_real_identity_changes_nothing(
    database_url: str, nats_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The projector applies the store's version of an event: a copy of a real event
    with other data, arriving first, writes the store's data, not its own."""
    tampered = copy_of(SECOND, data={"project_id": str(P2), "name": "pwned", "description": "x"})
    outcome = await project_with_poison(database_url, nats_url, tampered, caplog)
    assert outcome.projects == [(P1, TENANT, "one renamed", None, 2), (P2, TENANT, "two", None, 1)]
    assert outcome.tracking == [(4, 3)]


async def test_a_stored_event_the_read_model_refuses_is_set_aside_past_its_position(
    database_url: str, nats_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An event the store holds but the read tables refuse is set aside like any other,
    and the tracked position moves past it: a read waiting for that command's position
    is answered instead of waiting for some later event."""
    refused = event(2, "ProjectCreated", P2, 1, name=None, description=None)
    store_events(database_url, FIRST, refused)
    await publish(nats_url, FIRST, refused)
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    async with running(Projector(conninfo, nats_url, "TASKSTREAM")):

        async def passed() -> bool:
            found = await rows(database_url, "SELECT position FROM projection_tracking")
            return bool(found and found[0][0] == 2)

        await eventually(passed, what="the tracked position past the refused event")
    assert await rows(
        database_url, "SELECT stream_sequence, position FROM projection_tracking"
    ) == [(2, 2)]
    parked = await rows(database_url, "SELECT stream_sequence, reason FROM dead_letters")
    assert [sequence for sequence, _ in parked] == [2]
    assert "ProjectCreated at position 2" in parked[0][1]
    assert await rows(database_url, "SELECT name FROM projects") == [("one",)]

"""The published CloudEvent: shape, subject, stable ids, and rejection of garbage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from services.command.domain.base import Context
from services.command.domain.project import Project
from services.command.envelopes import to_envelope
from shared.event_ids import event_id, event_id_text
from shared.events import EVENT_AGGREGATES, EventEnvelope, InvalidEnvelope, subject_for

TENANT = UUID("6f1c0000-0000-4000-8000-0000000000e2")


def created_envelope() -> EventEnvelope:
    ctx = Context(TENANT, "alice", datetime(2026, 1, 1, tzinfo=UTC))
    project = Project.create(ctx, uuid4(), "Launch", None)
    [event] = project.collect_events()
    assert isinstance(event, Project.ProjectCreated)
    return to_envelope(event, position=42)


def test_cloudevent_has_every_attribute_of_the_contract() -> None:
    envelope = created_envelope()
    body = json.loads(envelope.to_bytes())
    assert body == {
        "specversion": "1.0",
        "id": str(envelope.id),
        "source": "taskstream",
        "type": "ProjectCreated",
        "subject": str(envelope.aggregate_id),
        "time": "2026-01-01T00:00:00.000000Z",
        "datacontenttype": "application/json",
        "tenantid": str(TENANT),
        "position": 42,
        "aggregateid": str(envelope.aggregate_id),
        "aggregateversion": 1,
        "actor": "alice",
        "data": {"project_id": str(envelope.aggregate_id), "name": "Launch", "description": None},
    }


def test_subject_names_tenant_aggregate_and_type() -> None:
    envelope = created_envelope()
    assert envelope.subject == f"taskstream.events.{TENANT}.project.ProjectCreated"
    assert subject_for(TENANT, "TaskTagged") == f"taskstream.events.{TENANT}.task.TaskTagged"


def test_event_id_is_stable_for_a_given_aggregate_version() -> None:
    envelope = created_envelope()
    assert envelope.id == event_id(envelope.aggregate_id, 1)
    assert event_id(envelope.aggregate_id, 2) != envelope.id


def test_envelope_round_trips() -> None:
    envelope = created_envelope()
    assert EventEnvelope.from_bytes(envelope.to_bytes()) == envelope


def test_catalog_names_every_event_of_the_contract() -> None:
    assert len(EVENT_AGGREGATES) == 16
    assert set(EVENT_AGGREGATES.values()) == {"project", "task", "tag"}


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe not json",
        b"[1, 2]",
        b'{"specversion": "1.0"}',
        json.dumps({**json.loads(created_envelope().to_bytes()), "type": "Nope"}).encode(),
        json.dumps({**json.loads(created_envelope().to_bytes()), "position": "7"}).encode(),
        json.dumps({**json.loads(created_envelope().to_bytes()), "tenantid": "x"}).encode(),
        json.dumps({**json.loads(created_envelope().to_bytes()), "data": []}).encode(),
        *(
            json.dumps({**json.loads(created_envelope().to_bytes()), name: value}).encode()
            for name, value in [
                ("position", True),
                ("position", 0),
                ("position", -1),
                ("position", 2**63),
                ("position", 1.5),
                ("aggregateversion", False),
                ("aggregateversion", 0),
                ("id", 5),
                ("tenantid", None),
                ("type", ["ProjectCreated"]),
            ]
        ),
    ],
)
def test_garbage_is_rejected_with_a_reason(payload: bytes) -> None:
    with pytest.raises(InvalidEnvelope):
        EventEnvelope.from_bytes(payload)


def test_the_relays_spelling_of_event_ids_is_the_reference_ones() -> None:
    for version in (1, 2, 9, 10, 12345, 2**40):
        aggregate_id = uuid4()
        assert event_id_text(str(aggregate_id), version) == str(event_id(aggregate_id, version))


def test_positions_and_versions_are_what_the_event_store_can_hold() -> None:
    body = json.loads(created_envelope().to_bytes())
    largest = 2**63 - 1
    for name in ("position", "aggregateversion"):
        envelope = EventEnvelope.from_bytes(json.dumps({**body, name: largest}).encode())
        assert largest in (envelope.position, envelope.aggregate_version)
        with pytest.raises(InvalidEnvelope, match=f"{name} must be an integer from 1"):
            EventEnvelope.from_bytes(json.dumps({**body, name: largest + 1}).encode())

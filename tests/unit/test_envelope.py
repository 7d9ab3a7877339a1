"""The published CloudEvent: shape, subject, stable ids, and rejection of garbage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest
from eventsourcing.application import Application

from services.command.domain.base import Context
from services.command.domain.project import Project
from services.command.publishing.encoding import Outgoing, encode_row
from shared.event_ids import EVENT_ID_NAMESPACE, event_id_text
from shared.events.catalog import EVENT_AGGREGATES, subject_for
from shared.events.identity import Identity, InvalidEnvelope

TENANT = UUID("6f1c0000-0000-4000-8000-0000000000e2")
# The library's own mapper, on its in-memory persistence: the stored rows it writes.
MAPPER = Application[UUID]().mapper


def created() -> tuple[UUID, Outgoing]:
    ctx = Context(TENANT, "alice", datetime(2026, 1, 1, tzinfo=UTC))
    project = Project.create(ctx, uuid4(), "Launch", None)
    [event] = project.collect_events()
    stored = MAPPER.to_stored_event(event)
    assert isinstance(stored.originator_id, UUID)
    row = (stored.originator_id, stored.originator_version, stored.topic, stored.state, 42)
    return project.id, encode_row(row)


def created_body() -> dict[str, Any]:
    return dict(json.loads(created()[1].payload))


def test_cloudevent_has_every_attribute_of_the_contract() -> None:
    project_id, message = created()
    assert json.loads(message.payload) == {
        "specversion": "1.0",
        "id": message.msg_id,
        "source": "taskstream",
        "type": "ProjectCreated",
        "subject": str(project_id),
        "time": "2026-01-01T00:00:00.000000Z",
        "datacontenttype": "application/json",
        "dataschema": "urn:taskstream:schema:ProjectCreated:1",
        "tenantid": str(TENANT),
        "position": 42,
        "aggregateid": str(project_id),
        "aggregateversion": 1,
        "actor": "alice",
        "data": {"project_id": str(project_id), "name": "Launch", "description": None},
    }


def test_subject_names_tenant_aggregate_and_type() -> None:
    _, message = created()
    assert message.subject == f"taskstream.events.{TENANT}.project.ProjectCreated"
    assert subject_for(TENANT, "TaskTagged") == f"taskstream.events.{TENANT}.task.TaskTagged"


def test_event_id_is_stable_for_a_given_aggregate_version() -> None:
    project_id, message = created()
    assert message.msg_id == event_id_text(str(project_id), 1)
    assert event_id_text(str(project_id), 2) != message.msg_id


def test_a_published_event_reads_back_as_its_identity() -> None:
    project_id, message = created()
    assert Identity.from_bytes(message.payload) == Identity(
        message.msg_id, "ProjectCreated", str(TENANT), 42, str(project_id), 1
    )


def test_catalog_names_every_event_of_the_contract() -> None:
    assert len(EVENT_AGGREGATES) == 18
    assert set(EVENT_AGGREGATES.values()) == {"project", "task", "tag"}


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe not json",
        b"[1, 2]",
        b'{"specversion": "1.0"}',
        json.dumps({**created_body(), "type": "Nope"}).encode(),
        json.dumps({**created_body(), "position": "7"}).encode(),
        json.dumps({**created_body(), "data": []}).encode(),
        *(
            json.dumps({**created_body(), name: value}).encode()
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
        Identity.from_bytes(payload)


def test_an_id_not_spelled_canonically_is_named() -> None:
    identity = Identity.from_bytes(json.dumps({**created_body(), "tenantid": "x"}).encode())
    assert identity.malformed() == "tenantid 'x' is not a UUID in canonical form"


def test_event_ids_are_uuid5_of_aggregate_and_version() -> None:
    """The definition, held against the standard library's uuid5."""
    for version in (1, 2, 9, 10, 12345, 2**40):
        aggregate_id = uuid4()
        expected = uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}:{version}")
        assert event_id_text(str(aggregate_id), version) == str(expected)


def test_positions_and_versions_are_what_the_event_store_can_hold() -> None:
    body = created_body()
    largest = 2**63 - 1
    for name in ("position", "aggregateversion"):
        identity = Identity.from_bytes(json.dumps({**body, name: largest}).encode())
        assert largest in (identity.position, identity.aggregate_version)
        with pytest.raises(InvalidEnvelope, match=f"{name} must be an integer from 1"):
            Identity.from_bytes(json.dumps({**body, name: largest + 1}).encode())

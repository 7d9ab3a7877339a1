"""The event catalog and the CloudEvents envelope published on NATS (DESIGN §5).

Subscribers and the projector depend on this shape, never on the stored `state`
bytes of the event store, so the stored form can evolve without breaking them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from shared.timestamps import rfc3339

SUBJECT_PREFIX = "taskstream.events"
SOURCE = "taskstream"
SPEC_VERSION = "1.0"

EVENT_AGGREGATES: dict[str, str] = {
    "ProjectCreated": "project",
    "ProjectRenamed": "project",
    "ProjectDescriptionChanged": "project",
    "ProjectDeleted": "project",
    "TaskCreated": "task",
    "TaskRenamed": "task",
    "TaskDescriptionChanged": "task",
    "TaskStatusChanged": "task",
    "TaskMoved": "task",
    "TaskDeleted": "task",
    "TaskTagged": "task",
    "TaskUntagged": "task",
    "TagCreated": "tag",
    "TagRenamed": "tag",
    "TagRecolored": "tag",
    "TagDeleted": "tag",
}


# How this service spells a UUID (str(UUID)); other spellings are valid but slower.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


class InvalidEnvelope(ValueError):
    """A message on the stream that is not a taskstream event we can read."""


def subject_for(tenant_id: UUID, event_type: str) -> str:
    return f"{SUBJECT_PREFIX}.{tenant_id}.{EVENT_AGGREGATES[event_type]}.{event_type}"


@dataclass(frozen=True)
class EventEnvelope:
    """One published event: identity, ordering, tenancy and the event's own data."""

    id: UUID
    type: str
    tenant_id: UUID
    position: int
    aggregate_id: UUID
    aggregate_version: int
    time: datetime
    actor: str | None
    data: dict[str, Any]

    @property
    def subject(self) -> str:
        return subject_for(self.tenant_id, self.type)

    def to_cloudevent(self) -> dict[str, Any]:
        event: dict[str, Any] = {
            "specversion": SPEC_VERSION,
            "id": str(self.id),
            "source": SOURCE,
            "type": self.type,
            "subject": str(self.aggregate_id),
            "time": rfc3339(self.time),
            "datacontenttype": "application/json",
            "tenantid": str(self.tenant_id),
            "position": self.position,
            "aggregateid": str(self.aggregate_id),
            "aggregateversion": self.aggregate_version,
            "data": self.data,
        }
        if self.actor is not None:
            event["actor"] = self.actor
        return event

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_cloudevent(), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, payload: bytes) -> EventEnvelope:
        try:
            event = orjson.loads(payload)
        except orjson.JSONDecodeError as e:
            raise InvalidEnvelope(f"body is not JSON: {e}") from e
        if not isinstance(event, dict):
            raise InvalidEnvelope("body is not a JSON object")
        try:
            if event["specversion"] != SPEC_VERSION or event["source"] != SOURCE:
                raise InvalidEnvelope("not a taskstream CloudEvent 1.0")
            event_type = str(event["type"])
            if event_type not in EVENT_AGGREGATES:
                raise InvalidEnvelope(f"unknown event type {event_type!r}")
            data = event["data"]
            if not isinstance(data, dict):
                raise InvalidEnvelope("data is not a JSON object")
            position = event["position"]
            version = event["aggregateversion"]
            if not isinstance(position, int) or not isinstance(version, int):
                raise InvalidEnvelope("position and aggregateversion must be integers")
            actor = event.get("actor")
            return cls(
                id=UUID(event["id"]),
                type=event_type,
                tenant_id=UUID(event["tenantid"]),
                position=position,
                aggregate_id=UUID(event["aggregateid"]),
                aggregate_version=version,
                time=datetime.fromisoformat(event["time"]),
                actor=str(actor) if actor is not None else None,
                data=data,
            )
        except KeyError as e:
            raise InvalidEnvelope(f"missing attribute {e.args[0]!r}") from e
        except (TypeError, ValueError) as e:
            if isinstance(e, InvalidEnvelope):
                raise
            raise InvalidEnvelope(f"malformed attribute: {e}") from e

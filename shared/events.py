"""The event catalog and the CloudEvents envelope published on NATS (DESIGN §5).

Subscribers and the projector depend on this shape, never on the stored `state`
bytes of the event store, so the stored form can evolve without breaking them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import orjson

from shared.timestamps import rfc3339

SUBJECT_PREFIX = "taskstream.events"
SOURCE = "taskstream"
SPEC_VERSION = "1.0"
# The event store's positions and versions are PostgreSQL bigints.
MAX_POSITION = 2**63 - 1

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


class Identity(NamedTuple):
    """What names a published event, as the message spells it: the attributes the event
    store can confirm (same id, type, tenant, position, aggregate and version). Ids are
    kept as the strings they arrived as; the store spells them canonically. This is how
    a CloudEvent from the stream is read, by the projector, the relay's reconciling and
    /metrics alike; its data is never trusted, only checked against the store. (A
    tuple: the projector reads one per message.)"""

    id: str
    type: str
    tenant_id: str
    position: int
    aggregate_id: str
    aggregate_version: int

    @classmethod
    def from_bytes(cls, payload: bytes) -> Identity:
        return cls.of(_json_object(payload))

    @classmethod
    def of(cls, event: dict[str, Any]) -> Identity:
        """The identity of a decoded CloudEvent, refused with the reason unless it is a
        taskstream event of the catalog with attributes of the right types and ranges:
        ids strings, position and version integers from 1 to 2**63 - 1 (what the event
        store's bigint columns hold; a boolean is not an integer here)."""
        try:
            specversion, source = event["specversion"], event["source"]
            if specversion != SPEC_VERSION or source != SOURCE:
                raise InvalidEnvelope(
                    f"not a taskstream CloudEvent 1.0 (specversion {specversion!r},"
                    f" source {source!r})"
                )
            kind = event["type"]
            if type(kind) is not str or kind not in EVENT_AGGREGATES:
                raise InvalidEnvelope(f"unknown event type {kind!r}")
            if type(event["data"]) is not dict:
                raise InvalidEnvelope("data is not a JSON object")
            ident, tenant, aggregate = event["id"], event["tenantid"], event["aggregateid"]
            if type(ident) is not str or type(tenant) is not str or type(aggregate) is not str:
                raise InvalidEnvelope(
                    _not_strings(id=ident, tenantid=tenant, aggregateid=aggregate)
                )
            position, version = event["position"], event["aggregateversion"]
            if type(position) is not int or not 0 < position <= MAX_POSITION:
                raise InvalidEnvelope(_out_of_range("position", position))
            if type(version) is not int or not 0 < version <= MAX_POSITION:
                raise InvalidEnvelope(_out_of_range("aggregateversion", version))
        except KeyError as e:
            raise InvalidEnvelope(f"missing attribute {e.args[0]!r}") from e
        return cls(ident, kind, tenant, position, aggregate, version)

    def malformed(self) -> str | None:
        """Which id is not a UUID spelled as this service spells it, if one is not."""
        for name, value in (
            ("id", self.id),
            ("tenantid", self.tenant_id),
            ("aggregateid", self.aggregate_id),
        ):
            if not CANONICAL_UUID.match(value):
                return f"{name} {value!r} is not a UUID in canonical form"
        return None


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError as e:
        raise InvalidEnvelope(f"body is not JSON: {e}") from e
    if not isinstance(event, dict):
        raise InvalidEnvelope("body is not a JSON object")
    return event


def _not_strings(**ids: object) -> str:
    name, value = next((n, v) for n, v in ids.items() if type(v) is not str)
    return f"{name} must be a string, not {value!r}"


def _out_of_range(name: str, value: object) -> str:
    return f"{name} must be an integer from 1 to 2**63 - 1, not {value!r}"

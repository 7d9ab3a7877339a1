"""A published event as values: the CloudEvents envelope on NATS, built from them.

Subscribers and the projector depend on this shape, never on the stored `state`
bytes of the event store, so the stored form can evolve without breaking them. (The
relay encodes stored rows directly: services/command/publishing/encoding.py.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.event_schemas import dataschema
from shared.events.catalog import SOURCE, SPEC_VERSION, subject_for
from shared.timestamps import rfc3339


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
            "dataschema": dataschema(self.type),
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

"""Turn stored domain events into the published envelope: the stream's contract, not ours."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from services.command.domain.base import TenantAggregate
from shared.event_ids import event_id
from shared.events import EVENT_AGGREGATES, EventEnvelope
from shared.timestamps import rfc3339

_ENVELOPE_FIELDS = {
    "originator_id",
    "originator_version",
    "originator_topic",
    "timestamp",
    "tenant_id",
    "actor",
}


def to_envelope(event: TenantAggregate.Event, position: int) -> EventEnvelope:
    event_type = type(event).__name__
    if event_type not in EVENT_AGGREGATES:
        raise ValueError(f"{event_type} is not in the published event catalog")
    aggregate_id: UUID = event.originator_id
    data: dict[str, Any] = {f"{EVENT_AGGREGATES[event_type]}_id": str(aggregate_id)}
    for name, value in vars(event).items():
        if name not in _ENVELOPE_FIELDS:
            data[name] = _jsonable(value)
    return EventEnvelope(
        id=event_id(aggregate_id, event.originator_version),
        type=event_type,
        tenant_id=event.tenant_id,
        position=position,
        aggregate_id=aggregate_id,
        aggregate_version=event.originator_version,
        time=event.timestamp,
        actor=event.actor,
        data=data,
    )


def decode_row(app: Application[UUID], row: tuple[UUID, int, str, bytes, int]) -> EventEnvelope:
    originator_id, version, topic, state, position = row
    stored = StoredEvent(
        originator_id=originator_id, originator_version=version, topic=topic, state=bytes(state)
    )
    event = app.mapper.to_domain_event(stored)
    assert isinstance(event, TenantAggregate.Event)
    return to_envelope(event, position)


def _jsonable(value: object) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value

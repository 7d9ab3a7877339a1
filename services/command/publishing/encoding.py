"""Stored events as the CloudEvents the relay publishes, without domain objects.

The relay is CPU-bound: rebuilding each domain event through the library's mapper and
then an envelope costs more than publishing it, so the CloudEvent is made from the
stored row's decoding (shared/stored_events), and orjson writes it. What names each
type's `dataschema` (shared/event_schemas.py) is read once, with the type's aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from shared.event_ids import event_id_text
from shared.event_schemas import dataschema
from shared.events.catalog import EVENT_AGGREGATES, SOURCE, SPEC_VERSION, SUBJECT_PREFIX
from shared.stored_events.decoding import StateRow, decode, rfc3339_of

_PUBLISHED: dict[str, tuple[str, str]] = {
    event_type: (aggregate, dataschema(event_type))
    for event_type, aggregate in EVENT_AGGREGATES.items()
}
"""Each event type's aggregate and the URN of the schema it is published at."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    position: int
    subject: str
    msg_id: str
    payload: bytes


def encode_row(row: StateRow) -> Outgoing:
    """The message for a row of STATE_COLUMNS; refuses an event outside the catalog."""
    stored = decode(row)
    event_type = stored.type
    published = _PUBLISHED.get(event_type)
    if published is None:
        raise ValueError(f"{row[2]} is not in the published event catalog")
    aggregate, schema = published
    aggregate_id = stored.aggregate_id
    version = stored.version
    tenant_id = stored.tenant_id
    position = row[4]
    msg_id = event_id_text(aggregate_id, version)
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": msg_id,
        "source": SOURCE,
        "type": event_type,
        "subject": aggregate_id,
        "time": rfc3339_of(stored.time),
        "datacontenttype": "application/json",
        "dataschema": schema,
        "tenantid": tenant_id,
        "position": position,
        "aggregateid": aggregate_id,
        "aggregateversion": version,
        "data": {f"{aggregate}_id": aggregate_id, **stored.data},
    }
    if stored.actor is not None:
        event["actor"] = stored.actor
    subject = f"{SUBJECT_PREFIX}.{tenant_id}.{aggregate}.{event_type}"
    return Outgoing(position, subject, msg_id, orjson.dumps(event))

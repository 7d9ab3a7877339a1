"""Stored event rows straight to the bytes the relay publishes, without domain objects.

The relay is CPU-bound: rebuilding each domain event through the library's mapper and
then an envelope costs more than publishing it. The stored state is the library's
JSON (with tagged UUIDs and datetimes), so the CloudEvent can be made from it
directly, and orjson reads and writes it in a fraction of the standard library's
time. `envelopes.decode_row` remains the reference; a test holds both equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from shared.event_ids import event_id_text
from shared.events import EVENT_AGGREGATES, SOURCE, SPEC_VERSION, SUBJECT_PREFIX
from shared.timestamps import rfc3339

_ENVELOPE_FIELDS = ("timestamp", "originator_topic", "tenant_id", "actor")


@dataclass(frozen=True, slots=True)
class Outgoing:
    position: int
    subject: str
    msg_id: str
    payload: bytes


def encode_row(row: tuple[UUID, int, str, bytes, int]) -> Outgoing:
    originator_id, version, topic, state, position = row
    event_type = topic.rsplit(".", 1)[-1]
    aggregate = EVENT_AGGREGATES.get(event_type)
    if aggregate is None:
        raise ValueError(f"{topic} is not in the published event catalog")
    fields: dict[str, Any] = orjson.loads(state)
    time = _rfc3339(fields["timestamp"]["_data_"])
    tenant_id = _uuid(fields["tenant_id"]["_data_"])
    actor = fields.get("actor")
    aggregate_id = str(originator_id)
    data: dict[str, Any] = {f"{aggregate}_id": aggregate_id}
    for name, value in fields.items():
        if name not in _ENVELOPE_FIELDS:
            data[name] = _plain(value)
    msg_id = event_id_text(aggregate_id, version)
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": msg_id,
        "source": SOURCE,
        "type": event_type,
        "subject": aggregate_id,
        "time": time,
        "datacontenttype": "application/json",
        "tenantid": tenant_id,
        "position": position,
        "aggregateid": aggregate_id,
        "aggregateversion": version,
        "data": data,
    }
    if actor is not None:
        event["actor"] = actor
    subject = f"{SUBJECT_PREFIX}.{tenant_id}.{aggregate}.{event_type}"
    payload = orjson.dumps(event)
    return Outgoing(position, subject, msg_id, payload)


def _rfc3339(iso: str) -> str:
    """Stored times are UTC ISO strings; spell them as `rfc3339` does, cheaply."""
    if iso.endswith("+00:00") and len(iso) == 32:
        return iso[:-6] + "Z"
    return rfc3339(datetime.fromisoformat(iso))


def _uuid(hex_digits: str) -> str:
    h = hex_digits
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and "_type_" in value:
        kind, raw = value["_type_"], value["_data_"]
        if kind == "uuid_hex":
            return _uuid(raw)
        if kind == "datetime_iso":
            return _rfc3339(raw)
        raise ValueError(f"no plain form for stored type {kind!r}")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value

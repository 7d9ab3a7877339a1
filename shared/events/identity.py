"""Reading a CloudEvent from the stream: what it claims to be, checked for type and range,
never trusted beyond that (the projector checks each claim against the event store)."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import orjson

from shared.events.catalog import EVENT_AGGREGATES, MAX_POSITION, SOURCE, SPEC_VERSION

# How this service spells a UUID (str(UUID)); other spellings are valid but slower.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


class InvalidEnvelope(ValueError):
    """A message on the stream that is not a taskstream event we can read."""


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

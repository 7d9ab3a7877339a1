"""The event store's rows decoded: the one place that knows the library's stored JSON
(pinned to eventsourcing 9.5; tests/integration/test_stored_event_contract.py holds both
forms here to the library's own mapper).

Two forms, one result (`Stored`), both upcast to the current version (upcasting.py) and
without `class_version`:
- `decode`: a whole row decoded here (orjson; the library's tagged UUIDs and datetimes
  made plain strings), every field of the event. The relay and republish publish it.
- `EVENT_COLUMNS` / `from_row`: the JSON taken apart by PostgreSQL, only the fields the
  fold reads. The live projector (the store's version of each event it applies) and a
  rebuild (every event) read it so.

Rebuilding each event through the library's mapper costs more than what the relay and
the projector then do with it: hence both forms, and the contract test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from psycopg import AsyncConnection, sql
from psycopg.types.string import TextLoader

from shared.database import EVENTS_TABLE
from shared.stored_events.upcasting import UPCASTERS
from shared.timestamps import rfc3339

Id = str
StateRow = tuple[UUID, int, str, bytes, int]
"""A row of STATE_COLUMNS, what `decode` takes."""

# A stored state's keys that are not the event's own fields.
_NOT_FIELDS = ("timestamp", "originator_topic", "tenant_id", "actor", "class_version")
_VERSIONS = UPCASTERS.versions
# Values that may hold the library's tagged UUIDs and datetimes; the rest are plain.
_COMPOUND = frozenset((dict, list))


@dataclass(slots=True)
class Stored:
    """One stored event, decoded: `data` holds the event's own fields in their current
    shape, `actor` is None when the event has none. Ids are canonical Id strings and
    `time` the ISO string as stored (ids and times within `data` too, spelled as
    published): making objects of them cost more than all the rest, and PostgreSQL
    parses both when they are written (see `text_uuids`)."""

    type: str
    aggregate_id: Id
    version: int
    tenant_id: Id
    time: str
    data: dict[str, Any]
    actor: str | None = None


STATE_COLUMNS = sql.SQL("originator_id, originator_version, topic, state, notification_id")
STATE_AFTER = sql.SQL(
    "SELECT {} FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
).format(STATE_COLUMNS, sql.Identifier(EVENTS_TABLE))
"""The stored events after a position (a limit of them), as `decode` takes them."""


def decode(row: StateRow) -> Stored:
    """A row of STATE_COLUMNS, every field of the event in its current shape."""
    originator_id, version, topic, state, _ = row
    fields: dict[str, Any] = orjson.loads(state)
    kind = topic.rsplit(".", 1)[-1]
    data = {
        name: _plain(value) if value.__class__ in _COMPOUND else value
        for name, value in fields.items()
        if name not in _NOT_FIELDS
    }
    if _VERSIONS and fields.get("class_version", 1) < _VERSIONS.get(kind, 1):
        UPCASTERS.upcast(kind, fields.get("class_version", 1), data)
    return Stored(
        kind,
        str(originator_id),
        version,
        _uuid(fields["tenant_id"]["_data_"]),
        fields["timestamp"]["_data_"],
        data,
        fields.get("actor"),
    )


def rfc3339_of(iso: str) -> str:
    """A stored time as `rfc3339` spells it, cheaply: stored times are UTC ISO strings."""
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
            return rfc3339_of(raw)
        raise ValueError(f"no plain form for stored type {kind!r}")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# PostgreSQL takes the stored JSON apart (on its own core, while this process folds the
# previous page): decoding it here was a third of the rebuild's time. Ids arrive as
# canonical strings (`text_uuids`), the type is the topic's last part, then the payload
# fields the fold reads (absent and null mean the same to it), the actor and the stored
# class_version. An upcaster that reads a field not listed here needs it added.
EVENT_COLUMNS = sql.SQL(
    "notification_id, originator_id, originator_version, substring(topic from '[^.]*$'),"
    " (j #>> '{tenant_id,_data_}')::uuid, j #>> '{timestamp,_data_}',"
    " (j #>> '{project_id,_data_}')::uuid, (j #>> '{tag_id,_data_}')::uuid,"
    " j ->> 'name', j ->> 'description', j ->> 'title', j ->> 'status', j ->> 'color',"
    " j ->> 'actor', (j ->> 'class_version')::int, j ->> 'due_on', j ->> 'assignee'"
)
# What EVENT_COLUMNS needs after the events table `e`: the JSON parsed once per row
# (OFFSET 0 keeps PostgreSQL from inlining it into every column, parsing it nine times).
EVENT_JSON = sql.SQL(
    "CROSS JOIN LATERAL (SELECT convert_from(e.state, 'UTF8')::jsonb AS j OFFSET 0) s"
)
# A stored event's tenant as 32 hex digits, from the events table's `state` column: for
# filters that must run before the page is cut, where EVENT_JSON is not yet joined.
STATE_TENANT_HEX = sql.SQL("(convert_from(state, 'UTF8')::jsonb #>> '{tenant_id,_data_}')")


def from_row(row: tuple[Any, ...]) -> Stored:
    """A row of EVENT_COLUMNS as a Stored event. Spelled out: it runs once per event,
    and this form costs a fifth of `dict(zip(...))` with keyword arguments."""
    data = {
        "project_id": row[6],
        "tag_id": row[7],
        "name": row[8],
        "description": row[9],
        "title": row[10],
        "status": row[11],
        "color": row[12],
        "due_on": row[15],
        "assignee": row[16],
    }
    if _VERSIONS and (row[14] or 1) < _VERSIONS.get(row[3], 1):
        UPCASTERS.upcast(row[3], row[14] or 1, data)
    return Stored(row[3], row[1], row[2], row[4], row[5], data, row[13])


def text_uuids(conn: AsyncConnection[Any]) -> None:
    """Makes `conn` return uuid columns as canonical strings, the form `from_row` gives."""
    conn.adapters.register_loader("uuid", TextLoader)

"""The event store's rows as the fold takes them, the library's stored JSON taken apart
by PostgreSQL (pinned to eventsourcing 9.5; tests/integration/test_rebuild.py holds the
fold of these rows equal to the live projection of the relay's messages).

The live projector (admission.py: the store's version of each event it applies) and a
rebuild (rebuild.py: every event) read stored events through these columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.types.string import TextLoader

Id = str


@dataclass(slots=True)
class Stored:
    """One stored event, decoded just enough to fold it. Ids are canonical Id strings
    and times ISO strings: making objects of them cost more than all the rest, and
    PostgreSQL parses both when they are written (see `text_uuids`)."""

    type: str
    aggregate_id: Id
    version: int
    tenant_id: Id
    time: str
    data: dict[str, Any]


# PostgreSQL takes the stored JSON apart (on its own core, while this process folds the
# previous page): decoding it here was a third of the rebuild's time. Ids arrive as
# canonical strings (`text_uuids`), the type is the topic's last part, then the payload
# fields the fold reads (absent and null mean the same to it).
EVENT_COLUMNS = sql.SQL(
    "notification_id, originator_id, originator_version, substring(topic from '[^.]*$'),"
    " (j #>> '{{tenant_id,_data_}}')::uuid, j #>> '{{timestamp,_data_}}',"
    " (j #>> '{{project_id,_data_}}')::uuid, (j #>> '{{tag_id,_data_}}')::uuid,"
    " j ->> 'name', j ->> 'description', j ->> 'title', j ->> 'status', j ->> 'color'"
)
# What EVENT_COLUMNS needs after the events table `e`: the JSON parsed once per row
# (OFFSET 0 keeps PostgreSQL from inlining it into every column, parsing it nine times).
EVENT_JSON = sql.SQL(
    "CROSS JOIN LATERAL (SELECT convert_from(e.state, 'UTF8')::jsonb AS j OFFSET 0) s"
)


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
    }
    return Stored(row[3], row[1], row[2], row[4], row[5], data)


def text_uuids(conn: AsyncConnection[Any]) -> None:
    """Makes `conn` return uuid columns as canonical strings, the form `from_row` gives."""
    conn.adapters.register_loader("uuid", TextLoader)

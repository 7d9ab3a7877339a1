"""Hand-made events put where the projector looks for them: in the event store, as the
library stores them, and on the stream, as the relay publishes them (or as anyone else
might publish anything). The projector applies only what the store holds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from eventsourcing.utils import get_topic
from psycopg import sql

from services.command.domain.base import TenantAggregate
from services.command.domain.project import Project
from services.command.domain.tag import Tag
from services.command.domain.task import Task
from shared.database import EVENTS_TABLE, DatabaseAddress
from shared.events.catalog import EVENT_AGGREGATES
from shared.events.envelope import EventEnvelope
from shared.nats import connect, ensure_stream
from shared.stored_events.upcasting import UPCASTERS

_AGGREGATES: dict[str, type[TenantAggregate]] = {"project": Project, "task": Task, "tag": Tag}
_CLASSES: dict[str, type[Any]] = {
    name: getattr(_AGGREGATES[aggregate], name) for name, aggregate in EVENT_AGGREGATES.items()
}
_TRANSCODER = JSONTranscoder()
for _transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
    _TRANSCODER.register(_transcoding)

Row = tuple[UUID, int, str, bytes, int]
Message = EventEnvelope | tuple[str, bytes] | tuple[str, bytes, dict[str, str]]


def stored_row(e: EventEnvelope) -> Row:
    """The events table's row for `e` (the library's topic and JSON state), at its position."""
    cls = _CLASSES[e.type]
    aggregate = EVENT_AGGREGATES[e.type]
    state: dict[str, Any] = {"timestamp": e.time}
    if issubclass(cls, TenantAggregate.Created):
        state["originator_topic"] = get_topic(_AGGREGATES[aggregate])
    state |= {"tenant_id": e.tenant_id, "actor": e.actor}
    if UPCASTERS.version(e.type) > 1:
        state["class_version"] = UPCASTERS.version(e.type)  # `e.data` is the current shape
    for name, value in e.data.items():
        if name != f"{aggregate}_id":
            state[name] = UUID(value) if name.endswith("_id") and value is not None else value
    return (
        e.aggregate_id,
        e.aggregate_version,
        get_topic(cls),
        _TRANSCODER.encode(state),
        e.position,
    )


def store_rows(database_url: str, rows: Iterable[Row]) -> None:
    """Rows into the events table at their own positions; the position sequence moves past
    them, so events recorded later by the application come after."""
    table = sql.Identifier(EVENTS_TABLE)
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {} (originator_id, originator_version, topic, state,"
                    " notification_id) VALUES (%s, %s, %s, %s, %s)"
                ).format(table),
                list(rows),
            )
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({}, 'notification_id'),"
                " (SELECT max(notification_id) FROM {}))"
            ).format(sql.Literal(EVENTS_TABLE), table)
        )


def store_events(database_url: str, *events: EventEnvelope) -> None:
    store_rows(database_url, map(stored_row, events))


def copy_store(source_url: str, target_url: str) -> None:
    """Every stored event of one database into another's empty store, at its position."""
    with psycopg.connect(DatabaseAddress.parse(source_url).conninfo()) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id"
                " FROM {} ORDER BY notification_id"
            ).format(sql.Identifier(EVENTS_TABLE))
        ).fetchall()
    store_rows(target_url, rows)


async def publish(nats_url: str, *messages: Message) -> None:
    """Envelopes as the relay publishes them (their id as Nats-Msg-Id); raw messages as
    given, on their subject, with their headers."""
    nc = await connect(nats_url, name="test-publisher")
    try:
        js = nc.jetstream()
        await ensure_stream(js, "TASKSTREAM")
        for message in messages:
            if isinstance(message, EventEnvelope):
                await js.publish(
                    message.subject, message.to_bytes(), headers={"Nats-Msg-Id": str(message.id)}
                )
            else:
                subject, payload, *headers = message
                await js.publish(subject, payload, headers=headers[0] if headers else None)
    finally:
        await nc.close()

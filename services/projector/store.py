"""The read model's write path: rows and the tracked position commit together.

A batch normally commits in one transaction, written in bulk. If any message in it
cannot be applied, the batch is rolled back and replayed one message at a time
through the handlers under savepoints, so only the failing message goes to the
dead-letter table and everything else is applied exactly once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import psycopg
from psycopg import sql

from services.projector import bulk
from services.projector.affected import (
    Affected,
    bump_revisions,
    look_before,
    needs_statements,
    recount,
)
from services.projector.handlers import HANDLERS, Cursor
from shared.events import EventEnvelope, InvalidEnvelope
from shared.projection_notice import CHANNEL, ProjectionNotice
from shared.transactions import roll_back

logger = logging.getLogger(__name__)
TRACKING_NAME = "read_model"
# What an event's own content can make PostgreSQL refuse; anything else (a lost
# connection) is not the message's fault and stops the batch for a retry.
_HANDLER_ERRORS = (psycopg.errors.DataError, psycopg.errors.IntegrityError)


@dataclass(frozen=True)
class Tracking:
    """How far the read model got: the last stream sequence and event position applied."""

    stream_sequence: int
    position: int


@dataclass(frozen=True)
class Incoming:
    stream_sequence: int
    subject: str
    payload: bytes
    headers: dict[str, str]


class Unprocessable(Exception):
    """A message this projector cannot apply; it is parked, not retried forever."""


def _envelope(message: Incoming) -> EventEnvelope:
    try:
        return EventEnvelope.from_bytes(message.payload)
    except InvalidEnvelope as e:
        raise Unprocessable(str(e)) from e


class ProjectionStore:
    def __init__(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        if not conn.autocommit:
            raise ValueError(
                "ProjectionStore opens its transactions itself: pass it a connection made "
                "with autocommit=True"
            )
        self._conn = conn
        self.dead_lettered = 0

    async def tracking(self) -> Tracking:
        cur = await self._conn.execute(
            "SELECT stream_sequence, position FROM projection_tracking WHERE name = %s",
            (TRACKING_NAME,),
        )
        row = await cur.fetchone()
        await self._conn.commit()
        if row is None:
            return Tracking(0, 0)
        return Tracking(int(str(row[0])), int(str(row[1])))

    async def apply(self, batch: list[Incoming], tracking: Tracking) -> Tracking:
        """The whole batch in one transaction, folded and written in bulk (bulk.py). A
        batch holding a message that cannot be applied goes one message at a time.

        The transaction opens in one message with the tracking row's lock and closes in
        one with the new position, the notice and COMMIT (shared/transactions.py); a
        batch that only adds rows sends them in that last message too."""
        try:
            decoded = [bulk.from_cloudevent(message.payload) for message in batch]
            async with self._conn.cursor() as cur:
                try:
                    await cur.execute(_OPEN)
                    cur.nextset()
                    result = _committed(await cur.fetchone(), tracking)
                    fresh = [(p, event) for p, event in decoded if p > result.position]
                    events = [event for _, event in fresh]
                    affected = Affected()
                    for event in events:
                        affected.add(event.type, event.aggregate_id, event.data, event.tenant_id)
                    await look_before(cur, affected, counts=True)
                    page = bulk.Page()
                    await page.load(self._conn, events)
                    for event in events:
                        page.fold(event)
                    created = page.created["projects"]
                    additions = None
                    if not needs_statements(affected, created):
                        additions = page.additions()
                    if additions is None:
                        await page.write(self._conn)
                        await recount(cur, affected)
                    projects = await bump_revisions(
                        cur, affected, rows_written=True, created_projects=created
                    )
                    position = max([result.position, *(p for p, _ in fresh)])
                    result = Tracking(batch[-1].stream_sequence, position)
                    notice = ProjectionNotice.of(result.position, affected.tenants, projects)
                    await cur.execute(_close(result, notice, additions or []))
                except BaseException:
                    await roll_back(self._conn)
                    raise
            return result
        except (Unprocessable, *_HANDLER_ERRORS, KeyError, ValueError, TypeError):
            return await self.apply_one_by_one(batch, tracking)

    async def apply_one_by_one(self, batch: list[Incoming], tracking: Tracking) -> Tracking:
        """Each message through its handler under a savepoint; one that fails is parked."""
        async with self._conn.transaction(), self._conn.cursor() as cur:
            result = await self._current(cur, tracking)
            decoded: list[EventEnvelope | Unprocessable] = []
            affected = Affected()
            for message in batch:
                try:
                    envelope = _envelope(message)
                except Unprocessable as e:
                    decoded.append(e)
                else:
                    decoded.append(envelope)
                    affected.add(
                        envelope.type, envelope.aggregate_id, envelope.data, envelope.tenant_id
                    )
            await look_before(cur, affected)
            for message, item in zip(batch, decoded, strict=True):
                try:
                    if isinstance(item, Unprocessable):
                        raise item
                    async with self._conn.transaction():
                        result = await self._apply_one(cur, message, item, result)
                except Unprocessable as e:
                    await self._park(cur, message, str(e))
                    result = Tracking(message.stream_sequence, result.position)
            projects = await bump_revisions(cur, affected)
            await self._save_tracking(cur, result, affected.tenants, projects)
        return result

    async def _apply_one(
        self, cur: Cursor, message: Incoming, envelope: EventEnvelope, tracking: Tracking
    ) -> Tracking:
        if envelope.position <= tracking.position:
            # A republished event this read model already holds.
            return Tracking(message.stream_sequence, tracking.position)
        handler = HANDLERS.get(envelope.type)
        if handler is None:
            raise Unprocessable(f"no projection handler for {envelope.type}")
        try:
            await handler(cur, envelope)
        except (
            psycopg.errors.DataError,
            psycopg.errors.IntegrityError,
            KeyError,
            ValueError,
            TypeError,
        ) as e:
            raise Unprocessable(f"{envelope.type} at position {envelope.position}: {e!r}") from e
        return Tracking(message.stream_sequence, envelope.position)

    async def _park(self, cur: Cursor, message: Incoming, reason: str) -> None:
        logger.error(
            "message set aside in dead_letters",
            extra={"stream_sequence": message.stream_sequence, "reason": reason},
        )
        await cur.execute(
            "INSERT INTO dead_letters (stream_sequence, subject, payload, headers, reason)"
            " VALUES (%s, %s, %s, %s, %s)",
            (
                message.stream_sequence,
                message.subject,
                message.payload,
                json.dumps(message.headers),
                reason,
            ),
        )
        self.dead_lettered += 1

    async def _current(self, cur: Cursor, tracking: Tracking) -> Tracking:
        await cur.execute(_LOCK_TRACKING)
        return _committed(await cur.fetchone(), tracking)

    async def _save_tracking(
        self, cur: Cursor, tracking: Tracking, tenants: set[str], projects: set[str]
    ) -> None:
        """The position, and a notice to the query services, sent on commit."""
        notice = ProjectionNotice.of(tracking.position, tenants, projects)
        await cur.execute(_save(tracking, notice))


def _committed(row: tuple[object, ...] | None, tracking: Tracking) -> Tracking:
    """The committed position, locked for this transaction: a rebuild may have moved it
    past what this process last applied, and events up to it must then be skipped."""
    committed = int(str(row[0])) if row else 0
    return Tracking(tracking.stream_sequence, max(tracking.position, committed))


_LOCK_TRACKING = sql.SQL(
    "SELECT position FROM projection_tracking WHERE name = {} FOR UPDATE"
).format(sql.Literal(TRACKING_NAME))
_OPEN = sql.SQL("BEGIN; {}").format(_LOCK_TRACKING)


def _save(tracking: Tracking, notice: ProjectionNotice) -> sql.Composed:
    """The position and the notice (sent on commit) as one message."""
    return sql.SQL(
        "INSERT INTO projection_tracking (name, stream_sequence, position, updated_at)"
        " VALUES ({}, {}, {}, now()) ON CONFLICT (name) DO UPDATE"
        " SET stream_sequence = EXCLUDED.stream_sequence,"
        " position = EXCLUDED.position, updated_at = now();"
        " SELECT pg_notify({}, {})"
    ).format(
        sql.Literal(TRACKING_NAME),
        sql.Literal(tracking.stream_sequence),
        sql.Literal(tracking.position),
        sql.Literal(CHANNEL),
        sql.Literal(notice.payload()),
    )


def _close(
    tracking: Tracking, notice: ProjectionNotice, writes: list[sql.Composable]
) -> sql.Composed:
    """The batch's remaining writes, the position, the notice and COMMIT: one message."""
    return sql.SQL("; ").join([*writes, _save(tracking, notice), sql.SQL("COMMIT")])

"""The read model's write path: rows and the tracked position commit together.

Every batch is first screened against the event store (admission.py): only the store's
own events are applied, in its order and in its version, and every other message is set
aside (dead_letters.py) in the same transaction. The admitted events are folded and
written in bulk (bulk.py); if that raises for anything their content caused, the batch
is rolled back and applied again one event at a time through the handlers under
savepoints, so only the failing event is set aside and everything else is applied
exactly once.

The tracked stream sequence moves past every message. The tracked position is always a
store position: the last admitted event's, applied or set aside, never one a message
merely claims (a forged position must not make reads that wait for a real one return
early; see docs/operations.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.string import TextLoader

from services.projector import admission, bulk, dead_letters
from services.projector.admission import Admitted, Claim, Screened
from services.projector.affected import (
    Affected,
    bump_revisions,
    look_before,
    needs_statements,
    recount,
)
from services.projector.dead_letters import DeadLetter, is_the_messages_fault
from services.projector.handlers import HANDLERS, Cursor
from services.projector.incoming import Incoming
from services.projector.lookahead import Lookahead
from shared.event_ids import event_id_text
from shared.events.envelope import EventEnvelope
from shared.projection_notice import CHANNEL, ProjectionNotice
from shared.tracking import TRACKING_NAME
from shared.transactions import roll_back

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tracking:
    """How far the read model got: the last stream sequence and event position applied."""

    stream_sequence: int
    position: int


class ProjectionStore:
    def __init__(
        self,
        conn: psycopg.AsyncConnection[tuple[object, ...]],
        lookahead: Lookahead | None = None,
    ) -> None:
        if not conn.autocommit:
            raise ValueError(
                "ProjectionStore opens its transactions itself: pass it a connection made "
                "with autocommit=True"
            )
        self._conn = conn
        self._lookahead = lookahead
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
        """The whole batch in one transaction, folded and written in bulk (bulk.py); one
        event at a time if that fails for anything but the database.

        The transaction opens in one message with the tracking row's lock and the
        store's events, and closes in one with the new position, the dead letters, the
        notice and COMMIT (shared/transactions.py); a batch that only adds rows sends
        them in that last message too."""
        try:
            return await self._apply_in_bulk(batch, tracking)
        except Exception as e:
            if not is_the_messages_fault(e, self._conn):
                raise
            logger.warning(
                "batch not applicable in bulk; applying it one event at a time",
                extra={"error": repr(e), "first_sequence": batch[0].stream_sequence},
            )
            return await self.apply_one_by_one(batch, tracking)

    async def _apply_in_bulk(self, batch: list[Incoming], tracking: Tracking) -> Tracking:
        claims = [admission.claim(message) for message in batch]
        async with self._cursor() as cur:
            try:
                after, screened = await self._screen(cur, batch, claims, tracking)
                reached = _reached(batch, screened.admitted, after)
                if self._lookahead is not None:
                    self._lookahead.start(reached.position, len(batch))
                events = [admitted.event for admitted in screened.admitted]
                affected = _affected(screened.admitted)
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
                notice = ProjectionNotice.of(reached.position, affected.tenants, projects)
                writes = [*(additions or []), *_set_aside(screened.set_aside)]
                await cur.execute(_close(reached, notice, writes))
            except BaseException:
                await roll_back(self._conn)
                raise
        self._reported(screened.set_aside)
        return reached

    async def apply_one_by_one(self, batch: list[Incoming], tracking: Tracking) -> Tracking:
        """Each message screened on its own, and each admitted event applied through its
        handler, under savepoints: whatever raises is set aside, the rest applied. The
        position moves past a refused event too (it is the store's)."""
        async with self._cursor() as cur:
            try:
                await cur.execute(sql.SQL("BEGIN; {}").format(_LOCK_TRACKING))
                cur.nextset()
                after = _committed(await cur.fetchone(), tracking).position
                screened = await admission.screen_each(self._conn, cur, batch, after)
                affected = _affected(screened.admitted)
                await look_before(cur, affected)
                letters = list(screened.set_aside)
                for admitted in screened.admitted:
                    try:
                        async with self._conn.transaction():
                            await HANDLERS[admitted.event.type](cur, _envelope(admitted))
                    except Exception as e:
                        if not is_the_messages_fault(e, self._conn):
                            raise
                        letters.append(_refused(admitted, e))
                projects = await bump_revisions(cur, affected)
                result = _reached(batch, screened.admitted, after)
                notice = ProjectionNotice.of(result.position, affected.tenants, projects)
                await cur.execute(_close(result, notice, _set_aside(letters)))
            except BaseException:
                await roll_back(self._conn)
                raise
        self._reported(letters)
        return result

    def _cursor(self) -> psycopg.AsyncCursor[tuple[Any, ...]]:
        """Ids come back as the fold's canonical strings (stored.text_uuids), on this
        cursor only."""
        cur = self._conn.cursor()
        cur.adapters.register_loader("uuid", TextLoader)
        return cur

    async def _screen(
        self, cur: Cursor, batch: list[Incoming], claims: list[Claim], tracking: Tracking
    ) -> tuple[int, Screened]:
        """Opens the transaction, locks the tracking row and screens the batch against
        the store's events (read ahead, or read in the same message); returns the
        committed position and the verdicts."""
        since = tracking.position
        limit = admission.window_size(claims, since)
        ahead = None
        if self._lookahead is not None:
            ahead = await self._lookahead.take(since, limit)
        events: sql.Composed | None
        if ahead is None:
            # From the committed position, which a rebuild may have moved past this one.
            start = sql.SQL("GREATEST({}, ({}))").format(sql.Literal(since), _TRACKED)
            events = admission.stored_events(claims, since, start)
        else:
            events = admission.earlier_events(claims, since)
        opening = [_LOCK_TRACKING] if events is None else [_LOCK_TRACKING, events]
        await cur.execute(sql.SQL("BEGIN; {}").format(sql.SQL("; ").join(opening)))
        cur.nextset()
        after = _committed(await cur.fetchone(), tracking).position
        rows = []
        if events is not None:
            cur.nextset()
            rows = await cur.fetchall()
        if ahead is not None:
            if after == since:
                rows += ahead
            else:
                await cur.execute(admission.window(after, limit))
                rows += await cur.fetchall()
        return after, await admission.checked(cur, batch, claims, since, after, rows, limit)

    def _reported(self, letters: list[DeadLetter]) -> None:
        dead_letters.report(letters)
        self.dead_lettered += len(letters)


def _affected(admitted: list[Admitted]) -> Affected:
    affected = Affected()
    for a in admitted:
        affected.add(a.event.type, a.event.aggregate_id, a.event.data, a.event.tenant_id)
    return affected


def _reached(batch: list[Incoming], admitted: list[Admitted], after: int) -> Tracking:
    """Past every message of the batch, and to the last of the store's events in it."""
    return Tracking(batch[-1].stream_sequence, admitted[-1].position if admitted else after)


def _envelope(admitted: Admitted) -> EventEnvelope:
    """The store's event as the handlers take it."""
    e = admitted.event
    return EventEnvelope(
        id=UUID(event_id_text(e.aggregate_id, e.version)),
        type=e.type,
        tenant_id=UUID(e.tenant_id),
        position=admitted.position,
        aggregate_id=UUID(e.aggregate_id),
        aggregate_version=e.version,
        time=datetime.fromisoformat(e.time),
        actor=None,
        data=dict(e.data),
    )


def _refused(admitted: Admitted, error: Exception) -> DeadLetter:
    reason = f"{admitted.event.type} at position {admitted.position} refused: {error!r}"
    return DeadLetter(admitted.message, reason)


def _set_aside(letters: list[DeadLetter]) -> list[sql.Composable]:
    return [dead_letters.insert(letters)] if letters else []


def _committed(row: tuple[object, ...] | None, tracking: Tracking) -> Tracking:
    """The committed position, locked for this transaction: a rebuild may have moved it
    past what this process last applied, and events up to it must then be skipped."""
    committed = int(str(row[0])) if row else 0
    return Tracking(tracking.stream_sequence, max(tracking.position, committed))


_TRACKED = sql.SQL("SELECT position FROM projection_tracking WHERE name = {}").format(
    sql.Literal(TRACKING_NAME)
)
_LOCK_TRACKING = sql.SQL("{} FOR UPDATE").format(_TRACKED)


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

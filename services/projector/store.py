"""The read model's write path: rows and the tracked position commit together.

Every batch is first screened against the event store (intake/admission.py): only the
store's own events are applied, in its order and in its version, and every other message
is set aside (intake/dead_letters.py) in the same transaction. The admitted events are
folded by the projection's rules (projection/rules.py) and written in bulk.

When that fails for anything the batch's content caused, the batch is rolled back and
applied again by the same rules one event at a time, each a batch of one under a
savepoint, so only the failing event is set aside and everything else is applied exactly
once. Every such fallback is logged with its error and counted (the tracking row's
`fallbacks`, on the query service's /metrics): a fault in the rules shows as dead letters
and fallbacks, never only as a slowdown. A failure that is not the content's (the
database went away) fails the batch, which is retried from the committed position.

The tracked stream sequence moves past every message. The tracked position is always a
store position: the last admitted event's, applied or set aside, never one a message
merely claims (a forged position must not make reads that wait for a real one return
early; see docs/operations.md).
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.string import TextLoader

from services.projector.intake import admission, dead_letters, screening
from services.projector.intake.dead_letters import DeadLetter, is_the_messages_fault
from services.projector.intake.incoming import Incoming
from services.projector.intake.screening import Admitted
from services.projector.projection import counts, writing
from services.projector.projection.affected import (
    Affected,
    bump_revisions,
    look_before,
    needs_statements,
)
from services.projector.projection.fold import fold
from services.projector.tracking import LOCK_TRACKING, Tracking, close, committed
from shared.projection_notice import ProjectionNotice
from shared.tracking import TRACKING_NAME
from shared.transactions import roll_back

logger = logging.getLogger(__name__)
Cursor = psycopg.AsyncCursor[tuple[Any, ...]]


class ProjectionStore:
    def __init__(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        if not conn.autocommit:
            raise ValueError(
                "ProjectionStore opens its transactions itself: pass it a connection made "
                "with autocommit=True"
            )
        self._conn = conn
        self.dead_lettered = 0
        self.fallbacks = 0

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
        """The whole batch in one transaction, folded and written in bulk; one event at
        a time if that fails for anything but the database.

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
                exc_info=True,
                extra={
                    "error": repr(e),
                    "error_type": type(e).__name__,
                    "first_sequence": batch[0].stream_sequence,
                    "messages": len(batch),
                },
            )
            self.fallbacks += 1
            return await self.apply_one_by_one(batch, tracking, fell_back=True)

    async def _apply_in_bulk(self, batch: list[Incoming], tracking: Tracking) -> Tracking:
        claims = [screening.claim(message) for message in batch]
        async with self._cursor() as cur:
            try:
                after, screened = await admission.admit(cur, batch, claims, tracking)
                reached = _reached(batch, screened.admitted, after)
                affected = _affected(screened.admitted)
                await look_before(cur, affected, counts=True)
                page = await fold(self._conn, [a.event for a in screened.admitted])
                created = page.created["projects"]
                additions = None
                if not needs_statements(affected, created):
                    additions = writing.additions(page)
                if additions is None:
                    await writing.write(page, self._conn)
                    await counts.recount(cur, affected)
                projects = await bump_revisions(
                    cur, affected, rows_written=True, created_projects=created
                )
                notice = ProjectionNotice.of(reached.position, affected.tenants, projects)
                writes = [*(additions or []), *_set_aside(screened.set_aside)]
                await cur.execute(close(reached, notice, writes))
            except BaseException:
                await roll_back(self._conn)
                raise
        self._reported(screened.set_aside)
        return reached

    async def apply_one_by_one(
        self, batch: list[Incoming], tracking: Tracking, *, fell_back: bool = False
    ) -> Tracking:
        """Each message screened on its own, and each admitted event folded and written
        as a batch of one, under savepoints: whatever raises is set aside, the rest
        applied. The position moves past a refused event too (it is the store's)."""
        async with self._cursor() as cur:
            try:
                await cur.execute(sql.SQL("BEGIN; {}").format(LOCK_TRACKING))
                cur.nextset()
                after = committed(await cur.fetchone(), tracking).position
                screened = await admission.screen_each(self._conn, cur, batch, after)
                affected = _affected(screened.admitted)
                await look_before(cur, affected, counts=True)
                letters = list(screened.set_aside)
                for admitted in screened.admitted:
                    try:
                        async with self._conn.transaction():
                            await writing.write(
                                await fold(self._conn, [admitted.event]), self._conn
                            )
                    except Exception as e:
                        if not is_the_messages_fault(e, self._conn):
                            raise
                        letters.append(_refused(admitted, e))
                await counts.recount(cur, affected)
                projects = await bump_revisions(cur, affected, rows_written=True)
                result = _reached(batch, screened.admitted, after)
                notice = ProjectionNotice.of(result.position, affected.tenants, projects)
                await cur.execute(close(result, notice, _set_aside(letters), fell_back=fell_back))
            except BaseException:
                await roll_back(self._conn)
                raise
        self._reported(letters)
        return result

    def _cursor(self) -> Cursor:
        """Ids come back as the fold's canonical strings (decoding.text_uuids), on this
        cursor only."""
        cur = self._conn.cursor()
        cur.adapters.register_loader("uuid", TextLoader)
        return cur

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


def _refused(admitted: Admitted, error: Exception) -> DeadLetter:
    reason = f"{admitted.event.type} at position {admitted.position} refused: {error!r}"
    return DeadLetter(admitted.message, reason)


def _set_aside(letters: list[DeadLetter]) -> list[sql.Composable]:
    return [dead_letters.insert(letters)] if letters else []

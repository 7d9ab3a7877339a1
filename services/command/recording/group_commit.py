"""Group commit: the commands that arrive together are recorded in one transaction.

It replaces the library's own way, one `Application.save()` per command in a
transaction of its own (library_saves.py, what GROUP_COMMIT off brings back): the
library's recorder locks the events table through each commit, which caps one save per
transaction at a few hundred per second. So each command process has one writer, on
its event loop, that takes every command waiting and records them in one transaction:
the library's table lock, one insert, one commit (durable before any of them is
answered). Each command keeps its own optimistic concurrency (batch.py); a rejected
command leaves the batch with its own error and the others are recorded without it.

A batch takes the commands waiting only once it holds the table lock. The processes'
batches hold that lock in turn, each through its commit's fsync, so the wait for it
is when most commands arrive: taken after it, they join the batch instead of queueing
behind it.

The writer speaks to PostgreSQL itself, through an async connection, rather than
through the library's synchronous recorder on a thread, which would hand every command
to a thread and its answer back under one GIL. It writes exactly what the recorder
writes (shared/stored_events/recording.py: its lock statements, its NOTIFY, the array
insert, events encoded by the application's mapper).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import psycopg

from services.command.application import TaskstreamApplication
from services.command.metrics import COMMAND_BATCHES, COMMANDS_RECORDED
from services.command.recording import statements
from services.command.recording.batch import Batch
from services.command.recording.changes import Change
from services.command.recording.refusals import Rejected, Stale
from services.command.recording.statements import Rows
from services.command.recording.writer_connection import (
    IDLE_IN_TRANSACTION_TIMEOUT,
    Conn,
    WriterConnection,
)
from shared.stored_events.recording import INSERT_EVENTS, columns, transaction_opening
from shared.transactions import roll_back

logger = logging.getLogger(__name__)
MAX_BATCH = 500


@dataclass
class _Pending:
    change: Change
    future: asyncio.Future[int]


class BatchWriter:
    def __init__(
        self,
        app: TaskstreamApplication,
        conninfo: str,
        *,
        max_batch: int = MAX_BATCH,
        idle_timeout: float = IDLE_IN_TRANSACTION_TIMEOUT,
        connect_timeout: float = 1.0,
    ) -> None:
        self._app = app
        self._max_batch = max_batch
        self._began = False
        self._pending: list[_Pending] = []
        self._arrived = asyncio.Event()
        self._conn = WriterConnection(conninfo, idle_timeout, connect_timeout)
        self._open = transaction_opening(app.recorder)
        self.batches = 0
        self.commands = 0

    async def record(self, change: Change) -> int:
        """The global position of the change's last event, once committed."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(change, future))
        self._arrived.set()
        return await future

    async def run(self) -> None:
        """Records batches until cancelled."""
        try:
            while True:
                await self._arrived.wait()
                self._arrived.clear()
                while self._pending:
                    await self._record(self._take(self._max_batch), gather=True)
        finally:
            await self._conn.drop()

    def _take(self, room: int) -> list[_Pending]:
        group = [p for p in self._pending[:room] if not p.future.done()]
        del self._pending[:room]
        return group

    async def _record(self, group: list[_Pending], *, gather: bool = False) -> None:
        """Records `group` in one transaction; with `gather`, joined by whatever arrived
        while the table lock was awaited (the other processes' batches hold it in
        turn), so batches grow with contention instead of queueing behind it."""
        while group:
            try:
                positions = await self._write(group, gather)
            except Rejected as rejected:
                for index, error in rejected.rejections.items():
                    _fail(group[index], error)
                group = [p for i, p in enumerate(group) if i not in rejected.rejections]
                gather = False
                continue
            except psycopg.IntegrityError:
                await self._record_one_by_one(group)
                return
            except Exception as error:
                failure = error
                if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
                    await self._conn.drop()
                elif self._conn.broken:
                    # The server ended the session (e.g. its idle-in-transaction timeout):
                    # to the client, an unavailable database, worth a retry.
                    await self._conn.drop()
                    failure = psycopg.OperationalError(f"the writer's session ended: {error}")
                    failure.__cause__ = error
                    logger.warning("the writer's session ended", extra={"error": str(error)})
                else:
                    logger.exception("recording a batch failed", extra={"commands": len(group)})
                for pending in group:
                    _fail(pending, failure)
                return
            self.batches += 1
            self.commands += len(group)
            COMMAND_BATCHES.inc()
            COMMANDS_RECORDED.inc(len(group))
            for pending in group:
                if not pending.future.done():
                    pending.future.set_result(positions[pending.change.last_event])
            return

    async def _record_one_by_one(self, group: list[_Pending]) -> None:
        """A constraint the checks did not foresee failed: find the culprit alone."""
        if len(group) == 1:
            _fail(group[0], Stale())
            return
        for pending in group:
            await self._record([pending])

    async def _write(self, group: list[_Pending], gather: bool) -> dict[tuple[object, int], int]:
        """One transaction; the position of every event, by (aggregate id, version).
        With `gather`, `group` is extended once the lock is held.

        A connection kept from an earlier batch may have broken while idle (PostgreSQL
        restarted): its first message then fails, before anything of the batch was
        sent, and the batch is written on a new connection instead. That first
        message is the connection's check, at no cost while it is sound, where a
        check before every batch would cost a round trip each."""
        kept = self._conn.kept
        conn = await self._conn.get()
        try:
            return await self._transaction(conn, group, gather)
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            if not kept or self._began or not conn.broken:
                raise
            logger.info(
                "the writer's connection was gone; reconnected", extra={"error": str(error)}
            )
        await self._conn.drop()
        return await self._transaction(await self._conn.get(), group, False)

    async def _transaction(
        self, conn: Conn, group: list[_Pending], gather: bool
    ) -> dict[tuple[object, int], int]:
        """The transaction opens with one message (BEGIN, the library's lock statements,
        its NOTIFY) and a batch of creates then needs two more (insert, commit), where
        one statement per message took six."""
        self._began = False
        async with conn.cursor() as cur:
            try:
                await cur.execute(self._open)
                self._began = True
                if gather:
                    group.extend(self._take(self._max_batch - len(group)))
                batch = Batch([p.change for p in group])
                events = [e for change in batch.changes for e in change.events]
                stored = [self._app.mapper.to_stored_event(e) for e in events]
                found: dict[str, Rows] = {}
                for name, (query, params) in statements.checks(batch).items():
                    await cur.execute(query, params, prepare=True)
                    found[name] = await cur.fetchall()
                batch.verify(statements.found(found))
                for statement, rows in statements.writes_before_events(batch):
                    await cur.executemany(statement, rows)
                await cur.execute(INSERT_EVENTS, columns(stored), prepare=True)
                ids = [int(str(row[0])) for row in await cur.fetchall()]
                for statement, rows in statements.writes_after_events(batch):
                    await cur.executemany(statement, rows)
                await cur.execute(b"COMMIT")
            except BaseException:
                await roll_back(conn)
                raise
        return {
            (s.originator_id, s.originator_version): i for s, i in zip(stored, ids, strict=True)
        }


def _fail(pending: _Pending, error: BaseException) -> None:
    if not pending.future.done():
        pending.future.set_exception(error)

"""The outbox relay: tails the event store's global log and publishes it to JetStream.

Each command service runs it in a process of its own, beside its HTTP workers
(`run_relay`, started by shared/serving.py): on a worker's event loop it waited for
the requests around it, and events reached the stream later.

One relay publishes at a time, the holder of a lease (lease.py); the others stand by.
Each batch is one atomic JetStream batch naming the stream sequence it must follow
(batches.py), so it lands whole, in its place, or not at all, and a deposed
leader's late batch is refused. Any refusal makes the relay reconcile with what the
stream really holds, checked against the store (reconcile.py), and carry on from
there. Republish requests are carried out here too, between live batches
(republish_queue.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from psycopg import sql

from services.command.publishing import republish_queue, wire
from services.command.publishing.answers import PublishRefused, Refusal
from services.command.publishing.batches import MAX_BATCH, confirm, publish_each, send_batch
from services.command.publishing.encoding import Outgoing, encode_row
from services.command.publishing.lease import (
    DEFAULT_LEASE_SECONDS,
    Cursor,
    Lease,
    LeaseLost,
    standby_seconds,
)
from services.command.publishing.reconcile import reconcile
from services.command.publishing.republish_queue import Chunk, RepublishQueue
from services.command.publishing.wakeups import wait_for_commits
from shared.database import EVENTS_TABLE, DatabaseAddress
from shared.fast_paths import FastPath
from shared.heap import freeze_startup_heap
from shared.lifetime import run_until_signalled
from shared.nats import ANONYMOUS, NatsCredentials, connect, ensure_stream
from shared.settings import Settings
from shared.stored_events.decoding import STATE_AFTER

logger = logging.getLogger(__name__)
Connection = psycopg.AsyncConnection[tuple[object, ...]]


class Relay:
    """Exactly one relay publishes at a time across all command processes (a lease)."""

    def __init__(
        self,
        conninfo: str,
        nats_url: str,
        stream: str,
        *,
        batch_size: int = MAX_BATCH,
        ack_timeout: float = 5.0,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        name: str = "taskstream-relay",
        fast_wire: bool = True,
        credentials: NatsCredentials = ANONYMOUS,
    ) -> None:
        if not 0 < batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1 to {MAX_BATCH} (JetStream's atomic batch)")
        self._conninfo = conninfo
        self._nats_url = nats_url
        self._stream = stream
        self._batch_size = batch_size
        # A wait for an acknowledgement must not outlast the lease it publishes under.
        self._ack_timeout = min(ack_timeout, lease_seconds / 3)
        self._standby_seconds = standby_seconds(lease_seconds)
        self._name = name
        self._credentials = credentials
        self._publish_all = wire.publish_all if fast_wire else publish_each
        self._lease = Lease(stream, lease_seconds)
        self._cursor = Cursor()
        # The last stream sequence this relay has accounted for: its next batch follows it.
        self._fence = 0
        self._with_ids = True
        self._copies_with_ids = True
        self.published_position = 0
        self.is_leader = False

    async def run(self) -> None:
        """Run until cancelled, surviving database and NATS outages with backoff."""
        backoff = 0.2
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except LeaseLost as e:
                logger.warning("relay lease lost; standing by", extra={"error": str(e)})
                delay = 0.0
            except (psycopg.Error, NatsError, OSError, TimeoutError) as e:
                if self.is_leader:
                    backoff = 0.2  # it was publishing: the outage is new
                delay, backoff = backoff, min(backoff * 2, 5.0)
                logger.warning(
                    "relay interrupted; retrying", extra={"error": repr(e), "retry_in": delay}
                )
            except Exception:
                # A defect, not an outage: reported in full, and the relay lives on, since
                # it resumes from what the stream holds.
                delay, backoff = backoff, min(backoff * 2, 5.0)
                logger.exception("relay failed unexpectedly; retrying", extra={"retry_in": delay})
            finally:
                self.is_leader = False
            await asyncio.sleep(delay)

    async def _lead(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
            self._cursor = await self._stand_by(conn)
            try:
                for channel in (EVENTS_TABLE, republish_queue.CHANNEL):
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                nc = await connect(self._nats_url, name=self._name, credentials=self._credentials)
                try:
                    js = nc.jetstream()
                    await ensure_stream(js, self._stream)
                    self.is_leader = True
                    logger.info("relay is publishing", extra={"term": self._lease.term})
                    await self._publish_forever(conn, nc, js)
                finally:
                    await nc.close()
            finally:
                # Hand over at once rather than at the lease's end (a standby looks
                # every second); a broken connection leaves it to the lease.
                with contextlib.suppress(psycopg.Error, OSError, TimeoutError):
                    async with asyncio.timeout(2.0):
                        await self._lease.release(conn, self._cursor)

    async def _stand_by(self, conn: Connection) -> Cursor:
        announced = False
        while True:
            recorded = await self._lease.acquire(conn)
            if recorded is not None:
                return recorded
            if not announced:
                logger.info("another relay is publishing; standing by")
                announced = True
            await asyncio.sleep(self._standby_seconds)

    async def _publish_forever(self, conn: Connection, nc: Client, js: JetStreamContext) -> None:
        cursor, self._fence = await reconcile(
            conn, nc, js, self._stream, self._cursor, self._cursor.sequence
        )
        self._moved_to(cursor)
        self._with_ids = True
        queue = RepublishQueue(self._lease)
        read_ahead: list[Outgoing] | None = None
        while True:
            if self._lease.due(self._cursor):
                await self._lease.renew(conn, self._cursor)
                queue.pending = True
            if read_ahead is None:
                batch = await self._read(conn, self._cursor.position)
            else:
                batch, read_ahead = read_ahead, None
            if batch:
                published, read_ahead = await self._publish(conn, nc, js, batch)
                if not published:
                    continue
            chunk = await queue.next_chunk(conn, self._cursor.position, self._batch_size)
            if chunk is not None:
                await self._publish_copies(conn, nc, js, queue, chunk)
                continue
            if read_ahead is not None:
                continue
            # All there was went out: the next commits' notice starts the next batch,
            # with no query for the few that committed meanwhile.
            if republish_queue.CHANNEL in await wait_for_commits(conn):
                queue.pending = True

    async def _publish(
        self, conn: Connection, nc: Client, js: JetStreamContext, batch: list[Outgoing]
    ) -> tuple[bool, list[Outgoing] | None]:
        """The live events: whether they are in the stream now, and, after a full batch,
        the next one, read and encoded while JetStream committed this one."""
        sent = await send_batch(
            nc, self._fence, batch, with_ids=self._with_ids, publish_all=self._publish_all
        )
        following = None
        if len(batch) == self._batch_size:
            following = asyncio.ensure_future(self._read(conn, batch[-1].position))
        try:
            self._fence = await confirm(sent, self._ack_timeout)
        except PublishRefused as refused:
            await _settled(following)
            await self._reconcile(conn, nc, js, refused)
            return False, None
        except BaseException:
            await _settled(following)
            raise
        self._moved_to(Cursor(self._fence, batch[-1].position, batch[-1].msg_id))
        self._with_ids = True
        return True, None if following is None else await following

    async def _read(self, conn: Connection, position: int) -> list[Outgoing]:
        cur = await conn.execute(STATE_AFTER, (position, self._batch_size))
        return [encode_row(row) for row in await cur.fetchall()]  # type: ignore[arg-type]

    async def _publish_copies(
        self,
        conn: Connection,
        nc: Client,
        js: JetStreamContext,
        queue: RepublishQueue,
        chunk: Chunk,
    ) -> None:
        copies = [encode_row(row) for row in chunk.rows]  # type: ignore[arg-type]
        sent = await send_batch(
            nc, self._fence, copies, with_ids=self._copies_with_ids, publish_all=self._publish_all
        )
        try:
            self._fence = await confirm(sent, self._ack_timeout)
        except PublishRefused as refused:
            await self._reconcile(conn, nc, js, refused)
            # JetStream would drop copies of events it published in the last two
            # minutes (its duplicate window): this batch goes out without ids.
            self._copies_with_ids = refused.refusal is not Refusal.DUPLICATE
            return
        self._copies_with_ids = True
        await queue.advance(conn, chunk)

    async def _reconcile(
        self, conn: Connection, nc: Client, js: JetStreamContext, refused: PublishRefused
    ) -> None:
        logger.warning(
            "publish refused; reconciling with the stream",
            extra={"reason": refused.refusal.name, "error": str(refused)},
        )
        before = self._cursor.position
        cursor, self._fence = await reconcile(conn, nc, js, self._stream, self._cursor, self._fence)
        self._moved_to(cursor)
        # Remembered ids of live events the stream does not hold in their place (a
        # purge, a deleted or a foreign message): the next batch goes out without them.
        self._with_ids = refused.refusal is not Refusal.DUPLICATE or cursor.position > before

    def _moved_to(self, cursor: Cursor) -> None:
        self._cursor = cursor
        self.published_position = cursor.position


async def _settled(task: asyncio.Future[list[Outgoing]] | None) -> None:
    """Lets a read ahead finish before its connection is used again; its rows are read
    again after reconciling."""
    if task is not None:
        with contextlib.suppress(Exception):
            await task


def run_relay(settings: Settings) -> None:
    """The relay's process: runs until SIGTERM or SIGINT."""
    relay = Relay(
        DatabaseAddress.parse(settings.require_database_url()).conninfo(),
        settings.require_nats_url(),
        settings.nats_stream,
        lease_seconds=settings.relay_lease_seconds,
        fast_wire=settings.fast(FastPath.WIRE),
        credentials=settings.nats_credentials(),
    )
    freeze_startup_heap()
    run_until_signalled(relay.run())

"""The outbox relay: tails the event store's global log and publishes it to JetStream.

Each command service runs it in a process of its own, beside its HTTP workers
(`run_relay`, started by shared/serving.py). On a worker's event loop it waited for
the requests around it: at 1,000 commands/s here a 10 ms pause took about 30 ms and
its next statement 25 ms more, and events reached the stream 24-33 ms after their
command was answered (p50), against 8-13 ms from a process of its own.

The stream itself records how far the relay got (its last taskstream message carries
a position), so there is no second cursor to keep in step. Each publish names the
stream sequence it expects to follow, so a retried message can never land after a
newer one; any failure or surprise re-reads the stream's tail and resumes from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import psycopg
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from psycopg import sql

from services.command.outgoing import Outgoing, encode_row
from shared.database import EVENTS_TABLE, DatabaseAddress
from shared.events import EventEnvelope, InvalidEnvelope
from shared.heap import freeze_startup_heap
from shared.lifetime import run_until_signalled
from shared.nats import connect, ensure_stream
from shared.settings import Settings

logger = logging.getLogger(__name__)
RELAY_LOCK = 0x7A5C_0002
COALESCE_SECONDS = 0.01
# Without a notification, the relay still looks for new events this often.
POLL_SECONDS = 1.0
_SELECT = sql.SQL(
    "SELECT originator_id, originator_version, topic, state, notification_id "
    "FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
).format(sql.Identifier(EVENTS_TABLE))


class PublishRejected(Exception):
    """JetStream refused or did not confirm a publish; the relay re-syncs with the stream."""


@dataclass
class StreamTail:
    sequence: int
    position: int


class Relay:
    """Exactly one relay publishes at a time across all command processes (advisory lock)."""

    def __init__(
        self,
        conninfo: str,
        nats_url: str,
        stream: str,
        *,
        batch_size: int = 1000,
        ack_timeout: float = 5.0,
    ) -> None:
        self._conninfo = conninfo
        self._nats_url = nats_url
        self._stream = stream
        self._batch_size = batch_size
        self._ack_timeout = ack_timeout
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
            except (psycopg.Error, NatsError, OSError, TimeoutError, PublishRejected) as e:
                logger.warning(
                    "relay interrupted; retrying",
                    extra={"error": repr(e), "retry_in": backoff},
                )
            finally:
                self.is_leader = False
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _lead(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
            await self._acquire_lock(conn)
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(EVENTS_TABLE)))
            nc = await connect(self._nats_url, name="taskstream-relay")
            try:
                js = nc.jetstream()
                await ensure_stream(js, self._stream)
                await self._publish_forever(conn, nc, js)
            finally:
                await nc.close()

    async def _acquire_lock(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        announced = False
        while True:
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK,))
            row = await cur.fetchone()
            if row is not None and row[0]:
                self.is_leader = True
                logger.info("relay is publishing")
                return
            if not announced:
                logger.info("another relay is publishing; standing by")
                announced = True
            await asyncio.sleep(2.0)

    async def _publish_forever(
        self,
        conn: psycopg.AsyncConnection[tuple[object, ...]],
        nc: Client,
        js: JetStreamContext,
    ) -> None:
        tail = await self._read_tail(js)
        while True:
            cur = await conn.execute(_SELECT, (tail.position, self._batch_size))
            rows = await cur.fetchall()
            if not rows:
                await self._wait_for_events(conn)
                continue
            outgoing = [encode_row(row) for row in rows]  # type: ignore[arg-type]
            try:
                tail = await self._publish(nc, js, tail, outgoing)
                # All there was went out: the next commits' notice starts the next batch,
                # with no query for the few that committed meanwhile.
                caught_up = len(rows) < self._batch_size
            except PublishRejected as e:
                logger.warning(
                    "publish not confirmed; re-reading the stream", extra={"error": str(e)}
                )
                await asyncio.sleep(0.2)
                tail = await self._read_tail(js)
                caught_up = False
            self.published_position = tail.position
            if caught_up:
                await self._wait_for_events(conn)

    async def _publish(
        self, nc: Client, js: JetStreamContext, tail: StreamTail, batch: list[Outgoing]
    ) -> StreamTail:
        """Publishes a batch in one pipelined write and confirms it with one acknowledgement.

        Every message names the stream sequence it must follow, so JetStream refuses any
        message after a gap or a duplicate, and then every message after it as well. The
        last message asks for an acknowledgement: if it landed at the expected sequence,
        the whole batch did, in order. Anything else re-reads the stream's tail.
        """
        for offset, message in enumerate(batch[:-1]):
            await nc.publish(
                message.subject, message.payload, headers=_headers(tail, offset, message)
            )
        last = batch[-1]
        offset = len(batch) - 1
        try:
            ack = await js.publish(
                last.subject,
                last.payload,
                timeout=self._ack_timeout,
                headers=_headers(tail, offset, last),
            )
        except (NatsError, TimeoutError) as e:
            raise PublishRejected(f"batch ending at position {last.position}: {e!r}") from e
        if ack.duplicate or ack.seq != tail.sequence + len(batch):
            raise PublishRejected(
                f"batch ending at position {last.position} did not land in line "
                f"(sequence {ack.seq}, expected {tail.sequence + len(batch)})"
            )
        return StreamTail(sequence=ack.seq, position=last.position)

    async def _read_tail(self, js: JetStreamContext) -> StreamTail:
        """Find the last taskstream event in the stream, skipping foreign messages."""
        info = await js.stream_info(self._stream)
        last_sequence = info.state.last_seq
        sequence = last_sequence
        while sequence >= max(info.state.first_seq, 1):
            try:
                message = await js.get_msg(self._stream, seq=sequence)
            except NotFoundError:
                sequence -= 1
                continue
            try:
                position = EventEnvelope.from_bytes(message.data or b"").position
            except InvalidEnvelope:
                sequence -= 1
                continue
            return StreamTail(sequence=last_sequence, position=position)
        return StreamTail(sequence=last_sequence, position=0)

    async def _wait_for_events(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        """Waits for a commit, then a few milliseconds more so that the commits arriving
        together go out as one batch: per-batch costs (query, acknowledgement) dominate
        when each wake-up carries a handful of events.

        Then every notification received so far is dropped: the next query sees their
        commits. psycopg keeps the notifications that arrive between waits and hands
        them over one per wait, so without this each later wait returned at once on a
        stale one, and they piled up in memory, one per commit the relay had already
        read. (Pausing after each of them, earlier still, made the wait grow with the
        load: seconds of lag at 300 commands/s.)"""
        async with contextlib.aclosing(
            conn.notifies(timeout=POLL_SECONDS, stop_after=1)
        ) as notifies:
            async for _ in notifies:
                break
        await asyncio.sleep(COALESCE_SECONDS)
        async for _ in conn.notifies(timeout=0):
            pass


def run_relay(settings: Settings) -> None:
    """The relay's process: runs until SIGTERM or SIGINT."""
    relay = Relay(
        DatabaseAddress.parse(settings.require_database_url()).conninfo(),
        settings.require_nats_url(),
        settings.nats_stream,
    )
    freeze_startup_heap()
    run_until_signalled(relay.run())


def _headers(tail: StreamTail, offset: int, message: Outgoing) -> dict[str, str]:
    return {
        "Nats-Msg-Id": message.msg_id,
        "Nats-Expected-Last-Sequence": str(tail.sequence + offset),
    }

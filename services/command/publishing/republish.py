"""`taskstream republish --from POSITION`: events from the event store into JetStream again.

For a stream that was lost or trimmed, or a new subscriber that needs history. It
asks for the events from POSITION up to the store's latest (at the time of asking),
and the leading relay appends them between its live batches, in position order
(republish_queue.py): two publishers would each move the stream under the other's
expected sequence. While it waits, this command is a standby relay itself, so with no
relay running (a stopped command service) it leads, for as long as the request takes,
and then hands over.
"""

from __future__ import annotations

import asyncio
import logging
import time

import psycopg

from services.command.publishing import republish_queue
from services.command.publishing.lease import DEFAULT_LEASE_SECONDS
from services.command.publishing.relay import Relay
from shared.background import background
from shared.database import EVENTS_TABLE
from shared.nats import ANONYMOUS, NatsCredentials

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.2
PROGRESS_SECONDS = 5.0
_REQUEST = f"""
INSERT INTO relay_republish (stream, next_position, through_position)
SELECT %s, %s, COALESCE(max(notification_id), 0) FROM {EVENTS_TABLE}
RETURNING id
"""  # noqa: S608 (a constant table name)
_PROGRESS = "SELECT published, next_position, finished_at FROM relay_republish WHERE id = %s"


async def republish(
    conninfo: str,
    nats_url: str,
    stream: str,
    start: int,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    fast_wire: bool = True,
    credentials: NatsCredentials = ANONYMOUS,
) -> int:
    """Returns the number of events published again, once they all are."""
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        async with conn.transaction():
            cur = await conn.execute(_REQUEST, (stream, start))
            row = await cur.fetchone()
            assert row is not None  # INSERT ... RETURNING
            request = int(str(row[0]))
            await conn.execute(f"NOTIFY {republish_queue.CHANNEL}")
        logger.info("republish requested", extra={"request": request, "from": start})
        relay = Relay(
            conninfo,
            nats_url,
            stream,
            lease_seconds=lease_seconds,
            name="taskstream-republish",
            fast_wire=fast_wire,
            credentials=credentials,
        )
        async with background(relay.run()):
            return await _finished(conn, request)


async def _finished(conn: psycopg.AsyncConnection[tuple[object, ...]], request: int) -> int:
    reported = time.monotonic()
    while True:
        cur = await conn.execute(_PROGRESS, (request,))
        row = await cur.fetchone()
        if row is None:
            raise RuntimeError(f"republish request {request} was deleted before it finished")
        published, next_position, finished_at = row
        if finished_at is not None:
            return int(str(published))
        if time.monotonic() - reported >= PROGRESS_SECONDS:
            logger.info(
                "republishing", extra={"published": published, "next_position": next_position}
            )
            reported = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)

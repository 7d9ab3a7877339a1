"""Where the pipeline stands, read at scrape time from where it is kept: the event
store's last position and the stream's last message."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from nats.aio.client import Client
from nats.errors import Error as NatsError

from shared.events.identity import Identity, InvalidEnvelope
from shared.pools import AsyncPool

logger = logging.getLogger(__name__)
SCRAPE_TIMEOUT = 1.0


async def store_position(pool: AsyncPool) -> float | None:
    """The event store's latest position (0 when empty)."""
    try:
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT COALESCE(max(notification_id), 0) FROM taskstream_events"
            )
            row = await cur.fetchone()
            return float(row[0]) if row else 0.0
    except (psycopg.Error, OSError):
        logger.warning("metrics: the event store is unreachable")
        return None


@dataclass(frozen=True)
class StreamTail:
    last_sequence: float
    last_position: float


async def stream_tail(nc: Client | None, stream: str) -> StreamTail | None:
    """The stream's last sequence and the position of its last taskstream event, through
    the process's kept connection (None while it is down)."""
    if nc is None:
        logger.warning("metrics: NATS is unreachable")
        return None
    try:
        js = nc.jetstream(timeout=SCRAPE_TIMEOUT)
        info = await js.stream_info(stream)
        last = info.state.last_seq
        position = 0
        if info.state.messages:
            message = await js.get_msg(stream, seq=last)
            try:
                position = Identity.from_bytes(message.data or b"").position
            except InvalidEnvelope:
                position = 0
        return StreamTail(float(last), float(position))
    except (NatsError, OSError, TimeoutError):
        return None

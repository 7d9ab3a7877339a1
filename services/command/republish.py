"""`taskstream republish --from POSITION`: events from the event store into JetStream again.

For a stream that was lost or trimmed, or a new subscriber that needs history. It
takes the relay's advisory lock, so no relay publishes meanwhile, and appends the
events from POSITION up to the store's latest in position order, with the ids they
always had. Afterwards the relay resumes after the stream's last message, which is
then the store's latest event. JetStream drops copies still inside its duplicate
window; the projector skips positions it already holds.
"""

from __future__ import annotations

import logging

import psycopg
from nats.aio.client import Client
from psycopg import sql

from services.command.outgoing import encode_row
from services.command.relay import RELAY_LOCK
from shared.database import EVENTS_TABLE
from shared.nats import connect, ensure_stream

logger = logging.getLogger(__name__)
PAGE = 2000
_SELECT = sql.SQL(
    "SELECT originator_id, originator_version, topic, state, notification_id FROM {}"
    " WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
).format(sql.Identifier(EVENTS_TABLE))


class RelayBusy(RuntimeError):
    pass


async def republish(
    conninfo: str, nats_url: str, stream: str, start: int, *, wait: float = 30.0
) -> int:
    """Returns the number of events published."""
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await _lock(conn, wait)
        nc = await connect(nats_url, name="taskstream-republish")
        try:
            js = nc.jetstream()
            await ensure_stream(js, stream)
            return await _publish_from(conn, nc, start)
        finally:
            await nc.close()
            await conn.execute("SELECT pg_advisory_unlock(%s)", (RELAY_LOCK,))


async def _lock(conn: psycopg.AsyncConnection[tuple[object, ...]], wait: float) -> None:
    await conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{int(wait * 1000)}",))
    try:
        await conn.execute("SELECT pg_advisory_lock(%s)", (RELAY_LOCK,))
    except psycopg.errors.LockNotAvailable as e:
        raise RelayBusy(
            f"the relay did not give way within {wait:g} s; retry, or stop the command service"
        ) from e


async def _publish_from(
    conn: psycopg.AsyncConnection[tuple[object, ...]], nc: Client, start: int
) -> int:
    js = nc.jetstream()
    published = 0
    after = start
    while True:
        cur = await conn.execute(_SELECT, (after, PAGE))
        rows = await cur.fetchall()
        if not rows:
            break
        futures = []
        for row in rows:
            message = encode_row(row)  # type: ignore[arg-type]
            futures.append(
                await js.publish_async(
                    message.subject, message.payload, headers={"Nats-Msg-Id": message.msg_id}
                )
            )
        for future in futures:
            await future
        published += len(rows)
        after = int(str(rows[-1][4])) + 1
        logger.info("republished", extra={"events": published, "up_to": after - 1})
    return published

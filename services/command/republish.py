"""`taskstream republish --from POSITION`: events from the event store into JetStream again.

For a stream that was lost or trimmed, or a new subscriber that needs history. It
appends the events from POSITION up to the store's latest, in position order, with the
ids they always had. The relay may run meanwhile: its next publish then finds the
stream moved, re-reads the tail and carries on after it; an event it publishes again
is one it published moments ago, which JetStream drops as a duplicate (same id, inside
the duplicate window). The projector skips positions it already holds, and
subscribers deduplicate by id (docs/events.md), so a republish is harmless to both.
"""

from __future__ import annotations

import logging

import psycopg
from nats.aio.client import Client
from psycopg import sql

from services.command.outgoing import encode_row
from shared.database import EVENTS_TABLE
from shared.nats import connect, ensure_stream

logger = logging.getLogger(__name__)
PAGE = 2000
_SELECT = sql.SQL(
    "SELECT originator_id, originator_version, topic, state, notification_id FROM {}"
    " WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
).format(sql.Identifier(EVENTS_TABLE))


async def republish(conninfo: str, nats_url: str, stream: str, start: int) -> int:
    """Returns the number of events published."""
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        nc = await connect(nats_url, name="taskstream-republish")
        try:
            js = nc.jetstream()
            await ensure_stream(js, stream)
            return await _publish_from(conn, nc, start)
        finally:
            await nc.close()


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

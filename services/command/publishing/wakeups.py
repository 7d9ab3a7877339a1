"""How the relay waits for new events: PostgreSQL's notices of commits (and of republish
requests), with a poll as the fallback."""

from __future__ import annotations

import asyncio
import contextlib

import psycopg

COALESCE_SECONDS = 0.01
# Without a notification, the relay still looks for new events this often.
POLL_SECONDS = 1.0
Connection = psycopg.AsyncConnection[tuple[object, ...]]


async def wait_for_commits(conn: Connection) -> set[str]:
    """Waits for a commit, then a few milliseconds more so that the commits arriving
    together go out as one batch: per-batch costs (query, acknowledgement) dominate
    when each wake-up carries a handful of events. Returns the channels notified.

    Then every notification received so far is dropped: the next query sees their
    commits. psycopg keeps the notifications that arrive between waits and hands
    them over one per wait, so without this each later wait returned at once on a
    stale one, and they piled up in memory, one per commit the relay had already
    read."""
    channels: set[str] = set()
    async with contextlib.aclosing(conn.notifies(timeout=POLL_SECONDS, stop_after=1)) as notifies:
        async for notify in notifies:
            channels.add(notify.channel)
            break
    await asyncio.sleep(COALESCE_SECONDS)
    async for notify in conn.notifies(timeout=0):
        channels.add(notify.channel)
    return channels

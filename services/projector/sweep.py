"""Dropping the kept JSON of deleted tasks.

A task's copy in `task_documents` (kept by the query service, services/query/queries.py)
is never served once the task is gone, but nothing else removes it: deleting it in the
projector's batch could wait for, or deadlock with, a read storing that same copy. So
the projector's process sweeps every hour, deleting only the orphans it can lock
without waiting (SKIP LOCKED): it never blocks a read nor waits for one, and what it
skips goes at the next sweep.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg

logger = logging.getLogger(__name__)
EVERY_SECONDS = 3600.0
CHUNK = 10_000
_SWEEP = (
    "DELETE FROM task_documents WHERE task_id IN (SELECT d.task_id FROM task_documents d"
    " WHERE NOT EXISTS (SELECT FROM tasks t WHERE t.id = d.task_id)"
    " LIMIT %s FOR UPDATE OF d SKIP LOCKED)"
)


async def sweep_orphans(conninfo: str) -> int:
    """Deletes orphaned task copies in chunks, each its own transaction; returns how many."""
    swept = 0
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        while True:
            cur = await conn.execute(_SWEEP, (CHUNK,))
            swept += cur.rowcount
            if cur.rowcount < CHUNK:
                return swept


async def sweep_forever(conninfo: str, every: float = EVERY_SECONDS) -> None:
    while True:
        try:
            swept = await sweep_orphans(conninfo)
            logger.info("kept copies of deleted tasks swept", extra={"swept": swept})
        except (psycopg.Error, OSError) as e:
            logger.warning(
                "sweeping kept task copies failed; retrying later", extra={"error": repr(e)}
            )
        await asyncio.sleep(every)

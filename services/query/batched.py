"""Reads of one object that start together share one statement (FastPath.BATCHED_READS).

It stands in for each read sending its own statement on its own pooled connection
(services/query/objects.py, OneByOne), which is what runs with it switched off.

A projection notice wakes every read waiting for its position at once, and each read
of a new object misses the answer cache. Sent one by one, each statement hands the CPU
to the backend it wakes (PostgreSQL on the same cores), and the worker waits its turn to
send the next: the reads one notice woke resume one after another. Here reads of one
kind started in the same iteration of the event loop go out as one statement, on one
pooled connection, and reads of the same object share its row.

As in a DataLoader: the first read schedules the batch for the loop's next iteration,
and every read started before then joins it. A read alone waits one iteration more.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from services.query.pool import Pool

MAX_BATCH = 100
Row = tuple[Any, ...]
Key = tuple[UUID, UUID]
"""(tenant, object)."""


class BatchedReads:
    """One kind of object by id (services/query/objects.py says what `statement` is)."""

    def __init__(self, pool: Pool, statement: str, *, max_batch: int = MAX_BATCH) -> None:
        self._pool = pool
        self._statement = statement
        self._max_batch = max_batch
        self._waiting: dict[Key, list[asyncio.Future[Row | None]]] = {}
        self._loading: set[asyncio.Task[None]] = set()

    async def get(self, tenant_id: UUID, object_id: UUID) -> Row | None:
        """What the statement answers after the id and tenant; None if the tenant has no
        such object."""
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._dispatch)
        future: asyncio.Future[Row | None] = loop.create_future()
        self._waiting.setdefault((tenant_id, object_id), []).append(future)
        return await future

    def _dispatch(self) -> None:
        waiting, self._waiting = self._waiting, {}
        keys = list(waiting)
        for start in range(0, len(keys), self._max_batch):
            batch = {key: waiting[key] for key in keys[start : start + self._max_batch]}
            task = asyncio.create_task(self._load(batch))
            self._loading.add(task)
            task.add_done_callback(self._loading.discard)

    async def _load(self, batch: dict[Key, list[asyncio.Future[Row | None]]]) -> None:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(
                    self._statement,
                    ([object_id for _, object_id in batch], [tenant for tenant, _ in batch]),
                    prepare=True,
                )
                rows = await cur.fetchall()
        except asyncio.CancelledError:
            for futures in batch.values():
                for future in futures:
                    future.cancel()
            raise
        except Exception as error:
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(error)
            return
        found = {(row[1], row[0]): row[2:] for row in rows}
        for key, futures in batch.items():
            for future in futures:
                if not future.done():
                    future.set_result(found.get(key))

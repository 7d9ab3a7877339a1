"""Running a command: decide, record through the writer, answer; retry when stale.

Without If-Match, a write that loses a race is decided again on fresh state instead
of being lost or refused; after a few rounds of contention it is answered 409.
With If-Match, the fresh state no longer matches and the answer is 412.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from anyio import to_thread
from fastapi import Response

from services.command.application import TaskstreamApplication
from services.command.domain.errors import Conflict
from services.command.recording.idempotency import KeyedRequest, Replay, find_replay
from services.command.recording.refusals import KeyUsed, Stale
from services.command.recording.writer import ChangeWriter
from services.command.use_cases.decision import Decision

MAX_ATTEMPTS = 25


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = "application/json"

    def response(self, position: int) -> Response:
        headers = {**self.headers, "X-Event-Position": str(position)}
        media_type = self.media_type if self.body else None
        return Response(self.body, self.status, headers=headers, media_type=media_type)


Decide = Callable[[], Decision[Any]]
Render = Callable[[Decision[Any]], Answer]


class Commands:
    def __init__(self, app: TaskstreamApplication, writer: ChangeWriter) -> None:
        self._app = app
        self._writer = writer
        self._locks: weakref.WeakValueDictionary[UUID, asyncio.Lock] = weakref.WeakValueDictionary()

    async def run(
        self,
        decide: Decide,
        render: Render,
        *,
        loads: bool = True,
        keyed: KeyedRequest | None = None,
        target: UUID | None = None,
    ) -> Response:
        """`loads=False` for decisions that read nothing (creates): they run on the loop.

        Writes to one `target` aggregate take turns within this process, so they do not
        make each other stale; only writes from other processes can, and those retry.
        """
        async with self._turn(target):
            return await self._run(decide, render, loads, keyed)

    async def _run(
        self, decide: Decide, render: Render, loads: bool, keyed: KeyedRequest | None
    ) -> Response:
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))  # noqa: S311
            if keyed is not None and (replay := await to_thread.run_sync(self._replay, keyed)):
                return _replayed(replay)
            decision = await to_thread.run_sync(decide) if loads else decide()
            answer = render(decision)
            change = decision.change
            if not change.events:
                return answer.response(await to_thread.run_sync(self._app.current_position))
            if keyed is not None:
                change.answer = keyed.answer(answer.status, answer.body, answer.headers)
            try:
                position = await self._writer.record(change)
            except (Stale, KeyUsed):
                continue
            return answer.response(position)
        raise Conflict(
            "the object kept changing while this command was applied; reload it and retry"
        )

    @contextlib.asynccontextmanager
    async def _turn(self, target: UUID | None) -> AsyncIterator[None]:
        if target is None:
            yield
            return
        lock = self._locks.get(target)
        if lock is None:
            lock = self._locks[target] = asyncio.Lock()
        async with lock:
            yield

    def _replay(self, keyed: KeyedRequest) -> Replay | None:
        with self._app.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            return find_replay(conn, keyed)


def _replayed(replay: Replay) -> Response:
    headers = {**replay.headers, "X-Event-Position": str(replay.position)}
    headers["Idempotent-Replayed"] = "true"
    media_type = "application/json" if replay.body else None
    return Response(replay.body, replay.status, headers=headers, media_type=media_type)

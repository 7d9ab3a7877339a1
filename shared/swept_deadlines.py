"""Deadlines for many tasks at once, swept by one timer (the request bodies being read)."""

from __future__ import annotations

import asyncio
from typing import Any


class SweptDeadlines:
    """The body reads in progress and when each must end, swept by one timer for them
    all. `asyncio.timeout` arms and cancels a timer for each request, which costs more
    than the rest of reading a small body; here a read costs a dict entry. While reads
    are in progress, every `tick` s the ones past their deadline are cancelled (and
    answer 408), so a late body is refused up to `tick` after its deadline."""

    def __init__(self, tick: float) -> None:
        self._tick = tick
        self._reads: dict[asyncio.Task[Any], float] = {}
        self._late: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, task: asyncio.Task[Any], deadline: float) -> None:
        self._reads[task] = deadline
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._tick, self._sweep)

    def end(self, task: asyncio.Task[Any]) -> bool:
        """Ends the watch; whether the task was cancelled for being late."""
        self._reads.pop(task, None)
        if task in self._late:
            self._late.discard(task)
            return True
        return False

    def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = None
        now = loop.time()
        for task, deadline in self._reads.items():
            if deadline <= now and task not in self._late:
                self._late.add(task)
                task.cancel()
        if self._reads:
            self._timer = loop.call_later(self._tick, self._sweep)

"""Counts and durations tallied in the process and written to prometheus_client's values
in batches: the request metrics, and counters bumped on every read (the answer cache's).

In multiprocess mode each `inc` and `observe` writes a memory-mapped file under a lock:
three writes per answer were the costliest part of counting it. Here an answer adds to
plain numbers, and `flush` writes each series' sums once, at most FLUSH_SECONDS after
the first addition not yet written. A histogram's sum and buckets are its children's
`_sum` and `_buckets` (pinned to prometheus_client 0.26; tests/unit/test_tallied_metrics.py
holds the result to `observe`'s on the installed version).
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Histogram

FLUSH_SECONDS = 0.05
"""How long an answer may wait to be written; a scrape waits a little longer."""


@dataclass(slots=True)
class _Tally:
    counter: Counter
    histogram: Histogram
    count: int = 0
    total: float = 0.0
    buckets: list[int] = field(default_factory=list)


def _later(flush: Callable[[], None]) -> None:
    try:
        asyncio.get_running_loop().call_later(FLUSH_SECONDS, flush)
    except RuntimeError:  # no loop: written at once
        flush()


_COUNTERS: list[TalliedCounter] = []


def flush_counters() -> None:
    """Writes what every TalliedCounter holds: at a worker's shutdown."""
    for counter in _COUNTERS:
        counter.flush()


class TalliedCounter:
    """A counter without labels whose increments are written together."""

    def __init__(self, counter: Counter) -> None:
        self._counter = counter
        self._pending = 0
        _COUNTERS.append(self)

    def inc(self) -> None:
        self._pending += 1
        if self._pending == 1:
            _later(self.flush)

    def flush(self) -> None:
        pending, self._pending = self._pending, 0
        if pending:
            self._counter.inc(pending)


class Tallies:
    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = (*bounds, float("inf"))
        self._series: dict[object, _Tally] = {}
        self._pending = False

    def known(self, key: object) -> bool:
        return key in self._series

    def add_series(self, key: object, counter: Counter, histogram: Histogram) -> None:
        self._series[key] = _Tally(counter, histogram, buckets=[0] * len(self._bounds))

    def add(self, key: object, seconds: float) -> None:
        tally = self._series[key]
        tally.count += 1
        tally.total += seconds
        tally.buckets[bisect_left(self._bounds, seconds)] += 1
        if not self._pending:
            self._pending = True
            _later(self.flush)

    def flush(self) -> None:
        self._pending = False
        for tally in self._series.values():
            if not tally.count:
                continue
            tally.counter.inc(tally.count)
            histogram: Any = tally.histogram
            histogram._sum.inc(tally.total)
            for value, n in zip(histogram._buckets, tally.buckets, strict=True):
                if n:
                    value.inc(n)
            tally.count, tally.total = 0, 0.0
            tally.buckets = [0] * len(self._bounds)

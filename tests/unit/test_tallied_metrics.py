"""Tallies written in a batch give what prometheus_client's own `inc` and `observe` give,
on the installed version."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.tallied_metrics import FLUSH_SECONDS, TalliedCounter, Tallies, flush_counters

BOUNDS = (0.001, 0.01, 0.1, 1.0)
DURATIONS = (0.0005, 0.001, 0.002, 0.05, 0.05, 0.7, 3.0, 0.0)


def metrics() -> tuple[CollectorRegistry, Counter, Histogram]:
    registry = CollectorRegistry()
    counter = Counter("answers", "answers", ("route",), registry=registry)
    histogram = Histogram("took", "took", ("route",), buckets=BOUNDS, registry=registry)
    return registry, counter, histogram


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_a_flushed_tally_equals_inc_and_observe_one_by_one() -> None:
    own, counter, histogram = metrics()
    for seconds in DURATIONS:
        counter.labels("/a").inc()
        histogram.labels("/a").observe(seconds)
    tallied, counter, histogram = metrics()
    tallies = Tallies(BOUNDS)
    tallies.add_series("a", counter.labels("/a"), histogram.labels("/a"))
    for seconds in DURATIONS:
        tallies.add("a", seconds)
    tallies.flush()
    tallies.flush()  # nothing twice
    assert samples(tallied) == samples(own)


def test_a_tally_is_written_within_the_flush_interval_without_being_asked() -> None:
    _, counter, histogram = metrics()
    tallies = Tallies(BOUNDS)
    tallies.add_series("a", counter.labels("/a"), histogram.labels("/a"))

    async def answer_then_wait() -> tuple[float, float]:
        tallies.add("a", 0.002)
        before = counter.labels("/a")._value.get()
        await asyncio.sleep(FLUSH_SECONDS * 2)
        return before, counter.labels("/a")._value.get()

    assert asyncio.run(answer_then_wait()) == (0, 1)


def test_a_tallied_counter_writes_its_increments_together() -> None:
    _, counter, _ = metrics()
    tallied = TalliedCounter(counter.labels("/a"))
    for _ in range(3):
        tallied.inc()
    flush_counters()
    tallied.inc()
    tallied.flush()
    assert counter.labels("/a")._value.get() == 4

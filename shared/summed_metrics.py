"""Counters, gauges and histograms that a service's worker processes keep together.

A scrape reaches one worker, so what each counts alone would tell a part, and labelling
it with the process id made a new series on every restart. prometheus_client's
multiprocess mode writes each process's values to memory-mapped files in
PROMETHEUS_MULTIPROC_DIR, which the supervisor makes afresh for each start before any
worker starts (shared/metrics_directory.py), and a scrape sums them over every
process. A process that imported the library without it (a test's app) keeps them in
memory instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector

OWN = CollectorRegistry(auto_describe=True)
"""Every metric made here; scraped directly only when no directory is set."""


def counter(name: str, help_text: str, labels: Sequence[str] = ()) -> Counter:
    return Counter(name, help_text, labels, registry=OWN)


def gauge(name: str, help_text: str) -> Gauge:
    """Summed over the live processes."""
    return Gauge(name, help_text, registry=OWN, multiprocess_mode="livesum")


def histogram(
    name: str, help_text: str, labels: Sequence[str], buckets: Sequence[float]
) -> Histogram:
    return Histogram(name, help_text, labels, registry=OWN, buckets=buckets)


def add_summed(registry: CollectorRegistry) -> None:
    """The service's values, summed over its processes, into one scrape's registry."""
    if values.ValueClass is not values.MutexValue:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in list(OWN._collector_to_names):
            registry.register(collector)

"""Counters, gauges and histograms that a service's worker processes keep together.

A scrape reaches one worker, so what each counts alone would tell a part, and labelling
it with the process id made a new series on every restart. prometheus_client's
multiprocess mode writes each process's values to memory-mapped files in
PROMETHEUS_MULTIPROC_DIR, which the supervisor makes afresh for each start before any
worker starts (shared/serving.py), and a scrape sums them over every process. A
process running alone (a test's app, a single worker) keeps them in memory instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
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
    if os.environ.get(DIRECTORY):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in list(OWN._collector_to_names):
            registry.register(collector)


@contextmanager
def summed_across_processes(service: str) -> Iterator[None]:
    """For the processes started inside it, and before any of them imports
    prometheus_client: the library picks its mode then. Removed afterwards."""
    directory = tempfile.mkdtemp(prefix=f"taskstream-{service}-metrics-")
    os.environ[DIRECTORY] = directory
    try:
        yield
    finally:
        os.environ.pop(DIRECTORY, None)
        shutil.rmtree(directory, ignore_errors=True)

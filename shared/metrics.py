"""GET /metrics in the Prometheus text format, computed at scrape time.

Both APIs run as several worker processes, so in-process counters would each tell a
part. What an operator needs most (positions, lags, parked messages) is read from
where it is kept (the event store, the tracking row, the stream, the dead-letter
table) at each scrape, so every worker answers the whole truth. Per-process counters
carry a `worker` label. The positions both services report are read by
shared/pipeline_positions.py.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from shared.openapi_document import operation_id


@dataclass
class Readings:
    """Values gathered for one scrape; `None` when a source could not be reached."""

    gauges: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    counters: dict[str, tuple[str, dict[str, float]]] = field(default_factory=dict)
    worker_gauges: dict[str, tuple[str, dict[str, float]]] = field(default_factory=dict)

    def gauge(self, name: str, help_text: str, value: float | None) -> None:
        self.gauges[name] = (help_text, value)

    def counter(self, name: str, help_text: str, value: float) -> None:
        self.counters[name] = (help_text, {str(os.getpid()): value})

    def worker_gauge(self, name: str, help_text: str, value: float) -> None:
        """A gauge of this process alone, labelled like the counters."""
        self.worker_gauges[name] = (help_text, {str(os.getpid()): value})


class _Collector:
    def __init__(self, readings: Readings) -> None:
        self._readings = readings

    def collect(self) -> list[Metric]:
        metrics: list[Metric] = []
        for name, (help_text, value) in self._readings.gauges.items():
            if value is not None:
                metrics.append(GaugeMetricFamily(name, help_text, value=value))
        per_worker = (
            (CounterMetricFamily, self._readings.counters),
            (GaugeMetricFamily, self._readings.worker_gauges),
        )
        for kind, readings in per_worker:
            for name, (help_text, by_worker) in readings.items():
                family = kind(name, help_text, labels=["worker"])
                for worker, value in by_worker.items():
                    family.add_metric([worker], value)
                metrics.append(family)
        return metrics


def metrics_router(gather: Callable[[Request], Awaitable[Readings]]) -> APIRouter:
    router = APIRouter(tags=["operations"], generate_unique_id_function=operation_id)

    @router.get(
        "/metrics",
        response_class=Response,
        summary="Prometheus metrics",
        responses={
            200: {
                "description": "The Prometheus text format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    async def metrics(request: Request) -> Response:
        registry = CollectorRegistry(auto_describe=True)
        registry.register(_Collector(await gather(request)))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router

"""GET /metrics in the Prometheus text format.

Both APIs run as several worker processes, and a scrape reaches one of them. What an
operator needs most (positions, lags, parked messages) is read from where it is kept
(the event store, the tracking row, the stream, the dead-letter table) at each scrape,
so every worker answers the whole truth: those are `Readings`. What processes count
themselves (requests, recorded commands, cache hits) is summed over the service's
processes (shared/summed_metrics.py), requests written in batches a moment after they are
answered (shared/tallied_metrics.py): a scrape waits that moment, so it counts every
answer given before it arrived, on every worker. The positions both services report are read by
shared/pipeline_positions.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from shared.openapi_document import operation_id
from shared.summed_metrics import add_summed
from shared.tallied_metrics import FLUSH_SECONDS

SCRAPE_WAIT_SECONDS = 2 * FLUSH_SECONDS


@dataclass
class Readings:
    """Values gathered for one scrape; `None` when a source could not be reached."""

    gauges: dict[str, tuple[str, float | None]] = field(default_factory=dict)

    def gauge(self, name: str, help_text: str, value: float | None) -> None:
        self.gauges[name] = (help_text, value)


class _Collector:
    def __init__(self, readings: Readings) -> None:
        self._readings = readings

    def collect(self) -> list[Metric]:
        return [
            GaugeMetricFamily(name, help_text, value=value)
            for name, (help_text, value) in self._readings.gauges.items()
            if value is not None
        ]


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
        await asyncio.sleep(SCRAPE_WAIT_SECONDS)
        registry = CollectorRegistry(auto_describe=True)
        registry.register(_Collector(await gather(request)))
        add_summed(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router

"""GET /metrics in the Prometheus text format, computed at scrape time.

Both APIs run as several worker processes, so in-process counters would each tell a
part. What an operator needs most (positions, lags, parked messages) is read from
where it is kept (the event store, the tracking row, the stream, the dead-letter
table) at each scrape, so every worker answers the whole truth. Per-process counters
carry a `worker` label.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import Response
from nats.aio.client import Client
from nats.errors import Error as NatsError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from shared.events.identity import Identity, InvalidEnvelope
from shared.pools import AsyncPool

logger = logging.getLogger(__name__)
SCRAPE_TIMEOUT = 1.0


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
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", response_class=Response, summary="Prometheus metrics")
    async def metrics(request: Request) -> Response:
        registry = CollectorRegistry(auto_describe=True)
        registry.register(_Collector(await gather(request)))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def store_position(pool: AsyncPool) -> float | None:
    """The event store's latest position (0 when empty)."""
    try:
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT COALESCE(max(notification_id), 0) FROM taskstream_events"
            )
            row = await cur.fetchone()
            return float(row[0]) if row else 0.0
    except (psycopg.Error, OSError):
        logger.warning("metrics: the event store is unreachable")
        return None


@dataclass(frozen=True)
class StreamTail:
    last_sequence: float
    last_position: float


async def stream_tail(nc: Client | None, stream: str) -> StreamTail | None:
    """The stream's last sequence and the position of its last taskstream event, through
    the process's kept connection (None while it is down)."""
    if nc is None:
        logger.warning("metrics: NATS is unreachable")
        return None
    try:
        js = nc.jetstream(timeout=SCRAPE_TIMEOUT)
        info = await js.stream_info(stream)
        last = info.state.last_seq
        position = 0
        if info.state.messages:
            message = await js.get_msg(stream, seq=last)
            try:
                position = Identity.from_bytes(message.data or b"").position
            except InvalidEnvelope:
                position = 0
        return StreamTail(float(last), float(position))
    except (NatsError, OSError, TimeoutError):
        return None

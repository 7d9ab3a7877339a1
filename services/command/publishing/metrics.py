"""The relay's readings for the command service's /metrics: how far the stream is behind
the event store, read from both at each scrape (any worker can answer; the relay runs
in a process of its own)."""

from __future__ import annotations

import asyncio

from nats.aio.client import Client

from shared.metrics import Readings
from shared.pipeline_positions import store_position, stream_tail
from shared.pools import AsyncPool


async def relay_readings(
    readings: Readings, pool: AsyncPool, nc: Client | None, stream: str
) -> None:
    store, tail = await asyncio.gather(store_position(pool), stream_tail(nc, stream))
    published = tail.last_position if tail else None
    readings.gauge("taskstream_event_store_position", "Latest position in the event store", store)
    readings.gauge(
        "taskstream_relay_published_position",
        "Position of the last event the relay published to JetStream",
        published,
    )
    readings.gauge(
        "taskstream_relay_lag_events",
        "Event positions recorded but not yet published",
        store - published if store is not None and published is not None else None,
    )

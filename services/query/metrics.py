"""The read side's /metrics: projection position, lag behind the stream and the store,
the messages the projector set aside and the batches it applied one at a time; and
what the workers counted (the answer cache's hits, the reads waiting for a position)."""

from __future__ import annotations

import asyncio

import psycopg
from fastapi import Request

from shared.health import Probes
from shared.metrics import Readings
from shared.pipeline_positions import store_position, stream_tail
from shared.pools import AsyncPool
from shared.summed_metrics import counter, gauge
from shared.tallied_metrics import TalliedCounter
from shared.tracking import TRACKING_NAME

CACHE_HITS = TalliedCounter(counter("taskstream_query_cache_hits", "Reads answered from memory"))
CACHE_MISSES = TalliedCounter(
    counter("taskstream_query_cache_misses", "Cacheable reads not found in memory on arrival")
)
CACHE_SHARED = TalliedCounter(
    counter(
        "taskstream_query_cache_shared",
        "Misses answered by the same read already in flight (the database was asked once)",
    )
)
READS_WAITING = gauge(
    "taskstream_query_reads_waiting",
    "Reads waiting for an X-Min-Position the read model has not reached",
)


async def gather(request: Request) -> Readings:
    state = request.app.state
    readings = Readings()
    probes: Probes = state.probes
    # Together, so that a scrape during an outage takes one timeout, not three.
    (sequence, position, parked, fallbacks), store, tail = await asyncio.gather(
        _projection(probes.pool),
        store_position(probes.pool),
        stream_tail(probes.connected_nats(), state.nats_stream),
    )
    readings.gauge("taskstream_event_store_position", "Latest position in the event store", store)
    readings.gauge(
        "taskstream_projection_position", "Last event position applied to the read model", position
    )
    readings.gauge(
        "taskstream_projection_stream_sequence", "Last stream sequence applied", sequence
    )
    readings.gauge(
        "taskstream_stream_last_sequence",
        "Last sequence in the JetStream stream",
        tail.last_sequence if tail else None,
    )
    readings.gauge(
        "taskstream_projection_lag_messages",
        "Stream messages not yet applied (latest stream sequence minus applied sequence)",
        tail.last_sequence - sequence if tail and sequence is not None else None,
    )
    readings.gauge(
        "taskstream_projection_lag_events",
        "Event positions not yet applied (store position minus applied position)",
        store - position if store is not None and position is not None else None,
    )
    readings.gauge(
        "taskstream_projector_dead_letters",
        "Messages the projector could not apply and set aside in dead_letters",
        parked,
    )
    readings.gauge(
        "taskstream_projector_fallbacks",
        "Batches the projector could not write whole and applied one event at a time",
        fallbacks,
    )
    return readings


async def _projection(
    pool: AsyncPool,
) -> tuple[float | None, float | None, float | None, float | None]:
    try:
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT t.stream_sequence, t.position, (SELECT count(*) FROM dead_letters),"
                " t.fallbacks"
                " FROM (SELECT 1) AS one"
                " LEFT JOIN projection_tracking t ON t.name = %s",
                (TRACKING_NAME,),
            )
            row = await cur.fetchone()
    except (psycopg.Error, OSError):
        return None, None, None, None
    assert row is not None
    return float(row[0] or 0), float(row[1] or 0), float(row[2]), float(row[3] or 0)

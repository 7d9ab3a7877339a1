"""The write side's /metrics: event store position, what the relay has published, and
this worker's group-commit counters."""

from __future__ import annotations

import asyncio

from fastapi import Request

from services.command.recording.writer import ChangeWriter
from shared.health import Probes
from shared.metrics import Readings
from shared.pipeline_positions import store_position, stream_tail


async def gather(request: Request) -> Readings:
    state = request.app.state
    readings = Readings()
    probes: Probes = state.probes
    store, tail = await asyncio.gather(
        store_position(probes.pool), stream_tail(probes.connected_nats(), state.nats_stream)
    )
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
    writer: ChangeWriter = state.writer
    readings.counter(
        "taskstream_commands_recorded", "Commands recorded by this worker", writer.commands
    )
    readings.counter(
        "taskstream_command_batches",
        "Transactions (batches) recorded by this worker",
        writer.batches,
    )
    return readings

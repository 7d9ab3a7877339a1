"""The write side's /metrics: the relay's readings and this worker's group-commit counters."""

from __future__ import annotations

from fastapi import Request

from services.command.publishing.metrics import relay_readings
from services.command.recording.writer import ChangeWriter
from shared.health import Probes
from shared.metrics import Readings


async def gather(request: Request) -> Readings:
    state = request.app.state
    readings = Readings()
    probes: Probes = state.probes
    await relay_readings(readings, probes.pool, probes.connected_nats(), state.nats_stream)
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

"""The write side's /metrics: the relay's readings, and what the workers recorded."""

from __future__ import annotations

from fastapi import Request

from services.command.publishing.metrics import relay_readings
from shared.health import Probes
from shared.metrics import Readings
from shared.summed_metrics import counter

COMMANDS_RECORDED = counter("taskstream_commands_recorded", "Commands recorded")
COMMAND_BATCHES = counter("taskstream_command_batches", "Transactions (batches) recorded")


async def gather(request: Request) -> Readings:
    state = request.app.state
    readings = Readings()
    probes: Probes = state.probes
    await relay_readings(readings, probes.pool, probes.connected_nats(), state.nats_stream)
    return readings

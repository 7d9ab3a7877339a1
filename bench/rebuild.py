"""Rebuild benchmark: a store of BENCH_REBUILD_EVENTS events (default 1,000,000) across 100
tenants, replayed into fresh tables; events/s and the process's peak memory."""

from __future__ import annotations

import asyncio
import io
import os
import resource
from pathlib import Path

from bench.stack import servers
from bench.workload import record_tasks
from services.command.application import TaskstreamApplication
from services.projector.rebuild.run import rebuild
from shared.database import DatabaseAddress

TENANTS = 100


def run(workdir: Path, _: float) -> str:
    target = int(os.environ.get("BENCH_REBUILD_EVENTS", "1000000"))
    with servers(workdir) as (database_url, _nats_url):
        app = TaskstreamApplication(env=DatabaseAddress.parse(database_url).eventsourcing_env(2, 2))
        print(f"  recording {target:,} events across {TENANTS} tenants …", flush=True)
        record_tasks(app, target, TENANTS)
        events = app.current_position()
        app.close()
        before = _peak_mb()
        print(f"  rebuilding from {events:,} events …", flush=True)
        outcome = asyncio.run(
            rebuild(DatabaseAddress.parse(database_url).conninfo(), out=io.StringIO())
        )
        peak = _peak_mb()
    return (
        f"rebuild: {outcome.events:,} events across {TENANTS} tenants in {outcome.seconds:.1f} s "
        f"= {outcome.events / outcome.seconds:,.0f} events/s; peak memory {peak:.0f} MB "
        f"(before the rebuild {before:.0f} MB)"
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

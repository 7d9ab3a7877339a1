"""Rebuild benchmark: a store of BENCH_REBUILD_EVENTS events (default 1,000,000) across 100
tenants, replayed into fresh tables; events/s and the process's peak memory."""

from __future__ import annotations

import asyncio
import io
import os
import resource
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from bench.stack import servers
from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.domain.project import Project
from services.command.domain.tag import Tag
from services.command.domain.task import Status, Task
from services.projector.rebuild import rebuild
from shared.database import DatabaseAddress

TENANTS = 100


def run(workdir: Path, _: float) -> str:
    target = int(os.environ.get("BENCH_REBUILD_EVENTS", "1000000"))
    with servers(workdir) as (database_url, _nats_url):
        app = TaskstreamApplication(env=DatabaseAddress.parse(database_url).eventsourcing_env(2, 2))
        print(f"  recording {target:,} events across {TENANTS} tenants …", flush=True)
        _fill(app, target)
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


def _fill(app: TaskstreamApplication, target: int) -> None:
    """Per tenant: a project, 3 tags, tasks created with 2 tags and moved to done
    (4 events per task), saved 500 tasks per transaction."""
    per_tenant = max(target // TENANTS // 4, 1)
    for _ in range(TENANTS):
        ctx = Context(uuid4(), "bench", datetime.now(UTC))
        project = Project.create(ctx, uuid4(), "bench", None)
        tags = [Tag.create(ctx, uuid4(), f"t{n}", None) for n in range(3)]
        app.save(project, *tags)
        for start in range(0, per_tenant, 500):
            batch = []
            for n in range(start, min(start + 500, per_tenant)):
                task = Task.create(
                    ctx,
                    uuid4(),
                    project.id,
                    f"task {n}",
                    None,
                    Status.PENDING,
                    [tags[0].id, tags[n % 2 + 1].id],
                )
                task.change_status(ctx, Status.DONE)
                batch.append(task)
            app.save(*batch)

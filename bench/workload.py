"""A realistic mix of events recorded straight into the store, for the benchmarks."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.domain.project import Project
from services.command.domain.tag import Tag
from services.command.domain.task import Status, Task


def record_tasks(app: TaskstreamApplication, target: int, tenants: int = 100) -> None:
    """About `target` events fast: per tenant a project and 3 tags, then tasks created
    with 2 tags and moved to done (4 events each), 500 tasks per transaction."""
    per_tenant = max(target // tenants // 4, 1)
    for _ in range(tenants):
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

"""A mixed workload that records every event type, for several tenants, through the use cases."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.domain.task import Status
from services.command.use_cases.decision import UNSET
from services.command.use_cases.tasks import TaskEdit

# Text that JSON escapes or that is not ASCII: every decoder of the stored events
# (the relay, the projector, the rebuild) must read it back the same.
AWKWARD = 'a "quote", a \\ backslash, a tab\tand a newline\n, é, 漢字, 🚀, \u2028 and </script>'


def ctx(tenant: UUID) -> Context:
    return Context(tenant, "workload", datetime.now(UTC))


def mixed_workload(
    app: TaskstreamApplication, tenants: list[UUID], rounds: int, seed: int = 7
) -> int:
    """Records every one of the 18 event types for each tenant, tasks with and without a
    due date and an assignee among them; returns the last position."""
    rng = random.Random(seed)
    position = 0
    for tenant in tenants:
        c = ctx(tenant)
        tags = [uuid4() for _ in range(3)]
        for n, tag in enumerate(tags):
            position = app.record(app.create_tag(c, tag, f"tag {n}", "#00aa00"))
        projects = [uuid4() for _ in range(2)]
        for n, project in enumerate(projects):
            position = app.record(app.create_project(c, project, f"project {n}", None))
        tasks: list[UUID] = []
        for n in range(rounds):
            task = uuid4()
            tasks.append(task)
            chosen = rng.sample(tags, 2)
            project = rng.choice(projects)
            due_on = date(2026, 1, 1) + timedelta(days=n) if n % 3 else None
            decision = app.create_task(
                c,
                project,
                task,
                f"task {n}",
                None,
                Status.PENDING,
                chosen,
                due_on=due_on,
                assignee=AWKWARD if n % 2 else None,
            )
            position = app.record(decision)
            edit = TaskEdit(
                title=f"task {n} (renamed)",
                description=AWKWARD if n % 2 else "details",
                status=Status.IN_PROGRESS,
                project_id=rng.choice(projects),
                due_on=None if n % 4 == 1 else date(2027, 6, 30) - timedelta(days=n),
                assignee=f"person {n % 3}" if n % 4 else None,
            )
            position = app.record(app.update_task(c, task, None, edit))
            position = app.record(app.untag_task(c, task, chosen[0], None))
        position = app.record(app.update_project(c, projects[0], None, "renamed", AWKWARD))
        position = app.record(app.update_tag(c, tags[0], None, "tag zero", "#0000ff"))
        position = app.record(app.delete_task(c, tasks[0], None))
        position = app.record(app.delete_tag(c, tags[1], None))
        position = app.record(app.delete_project(c, projects[1], None))
        position = app.record(app.update_tag(c, tags[2], None, None, UNSET))
    return position


def bulk_workload(app: TaskstreamApplication, tenants: int, tasks: int) -> int:
    """Many events fast (whole aggregates saved together): per tenant a project, two tags,
    and `tasks` tasks each created with a tag and moved to done. Returns the last position."""
    from services.command.domain.project import Project
    from services.command.domain.tag import Tag
    from services.command.domain.task import Task

    for _ in range(tenants):
        c = ctx(uuid4())
        project = Project.create(c, uuid4(), "bulk", None)
        tags = [Tag.create(c, uuid4(), f"bulk {n}", None) for n in range(2)]
        app.save(project, *tags)
        batch = []
        for n in range(tasks):
            task = Task.create(
                c, uuid4(), project.id, f"t{n}", None, Status.PENDING, [tags[n % 2].id]
            )
            task.change_status(c, Status.DONE)
            batch.append(task)
        app.save(*batch)
    return app.current_position()

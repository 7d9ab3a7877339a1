"""Recorded state to decide on, and what the event store holds afterwards."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.domain.task import Status


def ctx(tenant: UUID, actor: str | None = "alice") -> Context:
    return Context(tenant, actor, datetime.now(UTC))


def project(app: TaskstreamApplication, tenant: UUID, name: str = "p") -> UUID:
    project_id = uuid4()
    app.record(app.create_project(ctx(tenant), project_id, name, None))
    return project_id


def tag(app: TaskstreamApplication, tenant: UUID, name: str = "t") -> UUID:
    tag_id = uuid4()
    app.record(app.create_tag(ctx(tenant), tag_id, name, None))
    return tag_id


def task(
    app: TaskstreamApplication, tenant: UUID, project_id: UUID, tag_ids: list[UUID] | None = None
) -> UUID:
    task_id = uuid4()
    decision = app.create_task(
        ctx(tenant), project_id, task_id, "t", None, Status.PENDING, tag_ids or []
    )
    app.record(decision)
    return task_id


def recorded(app: TaskstreamApplication, aggregate_id: UUID) -> list[str]:
    """The names of the aggregate's stored events, in order."""
    return [type(e).__name__ for e in app.events.get(aggregate_id)]

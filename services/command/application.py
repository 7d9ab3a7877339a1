"""Use cases of the write side: load, decide through one aggregate, save."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate

from services.command.domain.base import Context, TenantAggregate
from services.command.domain.errors import NotFound
from services.command.domain.project import Project
from shared.database import EVENT_STORE_NAME

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T", bound=TenantAggregate)


@dataclass(frozen=True)
class Written(Generic[A]):
    """An aggregate after a command, and the global position of its last recorded event."""

    aggregate: A
    position: int


class TaskstreamApplication(Application[UUID]):
    """The event store of every tenant; `name` fixes the table (`taskstream_events`)."""

    name = EVENT_STORE_NAME

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env=env)

    def create_project(
        self, ctx: Context, project_id: UUID, name: str, description: str | None
    ) -> Written[Project]:
        return self._save(Project.create(ctx, project_id, name, description))

    def get_project(self, ctx: Context, project_id: UUID) -> Project:
        return self._load(Project, ctx, project_id, "project")

    def current_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def _load(self, kind: type[T], ctx: Context, aggregate_id: UUID, label: str) -> T:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError as e:
            raise NotFound(label) from e
        if not isinstance(aggregate, kind) or not aggregate.belongs_to(ctx.tenant_id):
            raise NotFound(label)
        return aggregate

    def _save(self, aggregate: A, **kwargs: Any) -> Written[A]:
        recordings = self.save(aggregate, **kwargs)
        if recordings:
            position = max(r.notification.id for r in recordings)
        else:
            position = self.current_position()
        return Written(aggregate, position)

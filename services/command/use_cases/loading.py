"""Loading what a use case decides on, as the tenant may see it."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from services.command.domain.base import Context, TenantAggregate
from services.command.domain.errors import NotFound, VersionMismatch
from services.command.domain.project import Project
from services.command.domain.tag import Tag
from services.command.domain.task import Task
from services.command.preconditions import IfMatch

A = TypeVar("A", bound=TenantAggregate)


class Loading(Application[UUID]):
    def _load(self, kind: type[A], ctx: Context, aggregate_id: UUID, if_match: IfMatch | None) -> A:
        """Another tenant's object, or a deleted one, is not found, exactly as an id
        that never existed."""
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError as e:
            raise NotFound(kind.__name__.lower()) from e
        if not isinstance(aggregate, kind) or not aggregate.belongs_to(ctx.tenant_id):
            raise NotFound(kind.__name__.lower())
        _check(if_match, aggregate)
        return aggregate

    def _load_task(
        self, ctx: Context, task_id: UUID, if_match: IfMatch | None
    ) -> tuple[Task, dict[UUID, int]]:
        """A task whose project was deleted is gone with it, and reads as not found."""
        task = self._load(Task, ctx, task_id, None)
        try:
            project = self._load(Project, ctx, task.project_id, None)
        except NotFound as e:
            raise NotFound("task") from e
        _check(if_match, task)
        return task, {task.id: task.version, project.id: project.version}

    def _live_tags(self, ctx: Context, task: Task) -> list[Tag]:
        """The task's tags that still exist, for its answer."""
        tags = []
        for tag_id in task.tag_ids:
            try:
                tags.append(self._load(Tag, ctx, tag_id, None))
            except NotFound:
                continue
        return tags


def _check(if_match: IfMatch | None, aggregate: TenantAggregate) -> None:
    """Only once the object is found: a missing one is a 404 whatever If-Match says."""
    if if_match is not None and not if_match.admits(aggregate.version):
        raise VersionMismatch(str(if_match), aggregate.version)

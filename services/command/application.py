"""Use cases of the write side: load, decide through one aggregate, hand the change on.

A use case never writes: it returns a `Decision` (the changed aggregate and the
`Change` to record), and the batch writer records it. Every aggregate a decision
relied on goes into `Change.expected`, so a decision made on state that moved is
refused at record time and taken again (see handling.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Recording

from services.command.changes import Batch, Change, NameClaim, Rejected
from services.command.domain.base import Context, TenantAggregate
from services.command.domain.errors import NotFound, VersionMismatch
from services.command.domain.project import Project
from services.command.domain.tag import Tag, name_key
from services.command.domain.task import Status, Task
from shared.database import EVENT_STORE_NAME

A = TypeVar("A", bound=TenantAggregate)
UNSET: object = object()


@dataclass
class Decision(Generic[A]):
    aggregate: A
    change: Change
    tags: list[Tag] = field(default_factory=list)


@dataclass(frozen=True)
class TaskEdit:
    title: str | None = None
    description: str | object | None = UNSET
    status: Status | None = None
    project_id: UUID | None = None


class TaskstreamApplication(Application[UUID]):
    """The event store of every tenant; `name` fixes the table (`taskstream_events`)."""

    name = EVENT_STORE_NAME
    env = {"APPLICATION_RECORDER_TOPIC": "services.command.recorder:TaskstreamRecorder"}

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env=env)

    def current_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def record_events(
        self, events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        """`save()` for events already collected, without its per-object runtime Protocol
        checks (typing's isinstance on a Protocol), which cost more than encoding them."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        processing_event.events.extend(events)
        processing_event.saved_kwargs.update(kwargs)
        return self._record(processing_event)

    def record(self, decision: Decision[Any]) -> int:
        """Records one decision on the calling thread, for tools and tests (the API batches
        through writer.BatchWriter); returns the position of its last event."""
        if not decision.change.events:
            return self.current_position()
        try:
            recordings = self.record_events(decision.change.events, batch=Batch([decision.change]))
        except Rejected as rejected:
            raise next(iter(rejected.rejections.values())) from None
        return max(r.notification.id for r in recordings)

    # projects

    def create_project(
        self, ctx: Context, project_id: UUID, name: str, description: str | None
    ) -> Decision[Project]:
        return _decided(Project.create(ctx, project_id, name, description), {})

    def update_project(
        self,
        ctx: Context,
        project_id: UUID,
        if_match: int | None,
        name: str | None,
        description: str | object | None,
    ) -> Decision[Project]:
        project = self._load(Project, ctx, project_id, if_match)
        seen = {project.id: project.version}
        if name is not None:
            project.rename(ctx, name)
        if description is not UNSET:
            project.describe(ctx, _text(description))
        return _decided(project, seen)

    def delete_project(
        self, ctx: Context, project_id: UUID, if_match: int | None
    ) -> Decision[Project]:
        """Its tasks end with it: subscribers learn it from ProjectDeleted (docs/events.md)."""
        project = self._load(Project, ctx, project_id, if_match)
        seen = {project.id: project.version}
        project.delete(ctx)
        return _decided(project, seen)

    # tasks

    def create_task(
        self,
        ctx: Context,
        project_id: UUID,
        task_id: UUID,
        title: str,
        description: str | None,
        status: Status,
        tag_ids: list[UUID],
    ) -> Decision[Task]:
        project = self._load(Project, ctx, project_id, None)
        tags = [self._load(Tag, ctx, tag_id, None) for tag_id in dict.fromkeys(tag_ids)]
        seen = {project.id: project.version} | {t.id: t.version for t in tags}
        task = Task.create(ctx, task_id, project.id, title, description, status, tag_ids)
        return _decided(task, seen, tags)

    def update_task(
        self, ctx: Context, task_id: UUID, if_match: int | None, edit: TaskEdit
    ) -> Decision[Task]:
        task, seen = self._load_task(ctx, task_id, if_match)
        if edit.project_id is not None and edit.project_id != task.project_id:
            target = self._load(Project, ctx, edit.project_id, None)
            seen[target.id] = target.version
            task.move(ctx, target.id)
        if edit.title is not None:
            task.rename(ctx, edit.title)
        if edit.description is not UNSET:
            task.describe(ctx, _text(edit.description))
        if edit.status is not None:
            task.change_status(ctx, edit.status)
        return _decided(task, seen, self._live_tags(ctx, task))

    def delete_task(self, ctx: Context, task_id: UUID, if_match: int | None) -> Decision[Task]:
        task, seen = self._load_task(ctx, task_id, if_match)
        task.delete(ctx)
        return _decided(task, seen)

    def tag_task(
        self, ctx: Context, task_id: UUID, tag_id: UUID, if_match: int | None
    ) -> Decision[Task]:
        task, seen = self._load_task(ctx, task_id, if_match)
        tag = self._load(Tag, ctx, tag_id, None)
        seen[tag.id] = tag.version
        task.tag(ctx, tag.id)
        return _decided(task, seen)

    def untag_task(
        self, ctx: Context, task_id: UUID, tag_id: UUID, if_match: int | None
    ) -> Decision[Task]:
        task, seen = self._load_task(ctx, task_id, if_match)
        tag = self._load(Tag, ctx, tag_id, None)
        seen[tag.id] = tag.version
        task.untag(ctx, tag.id)
        return _decided(task, seen)

    # tags

    def create_tag(self, ctx: Context, tag_id: UUID, name: str, color: str | None) -> Decision[Tag]:
        tag = Tag.create(ctx, tag_id, name, color)
        claim = NameClaim(ctx.tenant_id, name_key(name), tag_id)
        return _decided(tag, {}, claims=(claim,))

    def update_tag(
        self,
        ctx: Context,
        tag_id: UUID,
        if_match: int | None,
        name: str | None,
        color: str | object | None,
    ) -> Decision[Tag]:
        tag = self._load(Tag, ctx, tag_id, if_match)
        seen = {tag.id: tag.version}
        old_key = name_key(tag.name)
        if name is not None:
            tag.rename(ctx, name)
        if color is not UNSET:
            tag.recolor(ctx, _text(color))
        if name_key(tag.name) == old_key:
            return _decided(tag, seen)
        return _decided(
            tag,
            seen,
            claims=(NameClaim(ctx.tenant_id, name_key(tag.name), tag.id),),
            releases=(NameClaim(ctx.tenant_id, old_key, tag.id),),
        )

    def delete_tag(self, ctx: Context, tag_id: UUID, if_match: int | None) -> Decision[Tag]:
        """It leaves every task with it: subscribers learn it from TagDeleted (docs/events.md)."""
        tag = self._load(Tag, ctx, tag_id, if_match)
        seen = {tag.id: tag.version}
        tag.delete(ctx)
        return _decided(tag, seen, releases=(NameClaim(ctx.tenant_id, name_key(tag.name), tag.id),))

    # loading

    def _load(self, kind: type[A], ctx: Context, aggregate_id: UUID, if_match: int | None) -> A:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError as e:
            raise NotFound(kind.__name__.lower()) from e
        if not isinstance(aggregate, kind) or not aggregate.belongs_to(ctx.tenant_id):
            raise NotFound(kind.__name__.lower())
        if if_match is not None and aggregate.version != if_match:
            raise VersionMismatch(if_match, aggregate.version)
        return aggregate

    def _load_task(
        self, ctx: Context, task_id: UUID, if_match: int | None
    ) -> tuple[Task, dict[UUID, int]]:
        """A task whose project was deleted is gone with it, and reads as not found."""
        task = self._load(Task, ctx, task_id, None)
        try:
            project = self._load(Project, ctx, task.project_id, None)
        except NotFound as e:
            raise NotFound("task") from e
        if if_match is not None and task.version != if_match:
            raise VersionMismatch(if_match, task.version)
        return task, {task.id: task.version, project.id: project.version}

    def _live_tags(self, ctx: Context, task: Task) -> list[Tag]:
        tags = []
        for tag_id in task.tag_ids:
            try:
                tags.append(self._load(Tag, ctx, tag_id, None))
            except NotFound:
                continue
        return tags

    def get_task_tags(self, ctx: Context, task: Task) -> list[Tag]:
        return self._live_tags(ctx, task)


def _decided(
    aggregate: A,
    seen: dict[UUID, int],
    tags: list[Tag] | None = None,
    *,
    claims: tuple[NameClaim, ...] = (),
    releases: tuple[NameClaim, ...] = (),
) -> Decision[A]:
    events = list(aggregate.collect_events())
    expected = dict(seen)
    if events and aggregate.id not in expected:
        expected[aggregate.id] = 0
    change = Change(events, expected, claims, releases)  # type: ignore[arg-type]
    return Decision(aggregate, change, tags or [])


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None

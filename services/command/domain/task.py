"""The task aggregate and the events it records.

A task lives in exactly one project of its tenant. Whether that project is alive is
not the task's own state: the use cases check it (and guard it against races) when
they load the task, because a deleted project ends its tasks by implication.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.command.domain.base import Context, TenantAggregate
from services.command.domain.errors import Invalid
from shared.task_status import Status as Status  # the domain decides in this vocabulary

MAX_TAGS_PER_TASK = 50


class Task(TenantAggregate):
    def __init__(
        self,
        tenant_id: UUID,
        project_id: UUID,
        title: str,
        description: str | None,
        status: str,
        due_on: str | None,
        assignee: str | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.project_id = project_id
        self.title = title
        self.description = description
        self.status = Status(status)
        self.due_on = _day(due_on)
        self.assignee = assignee
        self.tag_ids: list[UUID] = []
        self.deleted = False

    class TaskCreated(TenantAggregate.Created):
        """Version 2 added `due_on` and `assignee` (its upcaster from version 1 gives
        both as None: shared/stored_events/upcasting.py)."""

        project_id: UUID
        title: str
        description: str | None
        status: str
        due_on: str | None
        assignee: str | None

    class TaskRenamed(TenantAggregate.Event):
        title: str

        def apply(self, task: Task) -> None:
            task.title = self.title

    class TaskDescriptionChanged(TenantAggregate.Event):
        description: str | None

        def apply(self, task: Task) -> None:
            task.description = self.description

    class TaskDueDateChanged(TenantAggregate.Event):
        due_on: str | None

        def apply(self, task: Task) -> None:
            task.due_on = _day(self.due_on)

    class TaskAssigneeChanged(TenantAggregate.Event):
        assignee: str | None

        def apply(self, task: Task) -> None:
            task.assignee = self.assignee

    class TaskStatusChanged(TenantAggregate.Event):
        status: str
        previous_status: str

        def apply(self, task: Task) -> None:
            task.status = Status(self.status)

    class TaskMoved(TenantAggregate.Event):
        project_id: UUID
        previous_project_id: UUID

        def apply(self, task: Task) -> None:
            task.project_id = self.project_id

    class TaskDeleted(TenantAggregate.Event):
        project_id: UUID

        def apply(self, task: Task) -> None:
            task.deleted = True

    class TaskTagged(TenantAggregate.Event):
        tag_id: UUID

        def apply(self, task: Task) -> None:
            task.tag_ids.append(self.tag_id)

    class TaskUntagged(TenantAggregate.Event):
        tag_id: UUID

        def apply(self, task: Task) -> None:
            task.tag_ids.remove(self.tag_id)

    @classmethod
    def create(
        cls,
        ctx: Context,
        task_id: UUID,
        project_id: UUID,
        title: str,
        description: str | None,
        status: Status,
        tag_ids: list[UUID],
        *,
        due_on: date | None = None,
        assignee: str | None = None,
    ) -> Task:
        task = cls._start(
            cls.TaskCreated,
            ctx,
            task_id,
            project_id=project_id,
            title=title,
            description=description,
            status=status.value,
            due_on=_iso(due_on),
            assignee=assignee,
        )
        for tag_id in dict.fromkeys(tag_ids):
            task.tag(ctx, tag_id)
        return task

    def rename(self, ctx: Context, title: str) -> None:
        if title != self.title:
            self._record(self.TaskRenamed, ctx, title=title)

    def describe(self, ctx: Context, description: str | None) -> None:
        if description != self.description:
            self._record(self.TaskDescriptionChanged, ctx, description=description)

    def set_due_date(self, ctx: Context, due_on: date | None) -> None:
        if due_on != self.due_on:
            self._record(self.TaskDueDateChanged, ctx, due_on=_iso(due_on))

    def assign(self, ctx: Context, assignee: str | None) -> None:
        """None leaves the task unassigned."""
        if assignee != self.assignee:
            self._record(self.TaskAssigneeChanged, ctx, assignee=assignee)

    def change_status(self, ctx: Context, status: Status) -> None:
        if status != self.status:
            self._record(
                self.TaskStatusChanged, ctx, status=status.value, previous_status=self.status.value
            )

    def move(self, ctx: Context, project_id: UUID) -> None:
        if project_id != self.project_id:
            self._record(
                self.TaskMoved, ctx, project_id=project_id, previous_project_id=self.project_id
            )

    def delete(self, ctx: Context) -> None:
        if not self.deleted:
            self._record(self.TaskDeleted, ctx, project_id=self.project_id)

    def tag(self, ctx: Context, tag_id: UUID) -> None:
        """Tagging twice records one event."""
        if tag_id in self.tag_ids:
            return
        if len(self.tag_ids) >= MAX_TAGS_PER_TASK:
            raise Invalid(f"a task carries at most {MAX_TAGS_PER_TASK} tags; untag one first")
        self._record(self.TaskTagged, ctx, tag_id=tag_id)

    def untag(self, ctx: Context, tag_id: UUID) -> None:
        if tag_id in self.tag_ids:
            self._record(self.TaskUntagged, ctx, tag_id=tag_id)


def _iso(day: date | None) -> str | None:
    """Events hold a due date as subscribers get it (`YYYY-MM-DD`): the library's stored
    JSON has no date type of its own."""
    return None if day is None else day.isoformat()


def _day(iso: str | None) -> date | None:
    return None if iso is None else date.fromisoformat(iso)

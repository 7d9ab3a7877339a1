"""Task use cases: create (with tags), edit (rename, describe, status, due date,
assignee, move), delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.command.domain.base import Context
from services.command.domain.project import Project
from services.command.domain.tag import Tag
from services.command.domain.task import Status, Task
from services.command.preconditions import IfMatch
from services.command.use_cases.decision import UNSET, Decision, decided, text
from services.command.use_cases.loading import Loading


@dataclass(frozen=True)
class TaskEdit:
    title: str | None = None
    description: str | object | None = UNSET
    status: Status | None = None
    project_id: UUID | None = None
    due_on: date | object | None = UNSET
    assignee: str | object | None = UNSET


class TaskUseCases(Loading):
    def create_task(
        self,
        ctx: Context,
        project_id: UUID,
        task_id: UUID,
        title: str,
        description: str | None,
        status: Status,
        tag_ids: list[UUID],
        *,
        due_on: date | None = None,
        assignee: str | None = None,
    ) -> Decision[Task]:
        project = self._load(Project, ctx, project_id, None)
        tags = [self._load(Tag, ctx, tag_id, None) for tag_id in dict.fromkeys(tag_ids)]
        seen = {project.id: project.version} | {t.id: t.version for t in tags}
        task = Task.create(
            ctx,
            task_id,
            project.id,
            title,
            description,
            status,
            tag_ids,
            due_on=due_on,
            assignee=assignee,
        )
        return decided(task, seen, tags)

    def update_task(
        self, ctx: Context, task_id: UUID, if_match: IfMatch | None, edit: TaskEdit
    ) -> Decision[Task]:
        task, seen = self._load_task(ctx, task_id, if_match)
        if edit.project_id is not None and edit.project_id != task.project_id:
            target = self._load(Project, ctx, edit.project_id, None)
            seen[target.id] = target.version
            task.move(ctx, target.id)
        if edit.title is not None:
            task.rename(ctx, edit.title)
        if edit.description is not UNSET:
            task.describe(ctx, text(edit.description))
        if edit.status is not None:
            task.change_status(ctx, edit.status)
        if edit.due_on is not UNSET:
            task.set_due_date(ctx, edit.due_on if isinstance(edit.due_on, date) else None)
        if edit.assignee is not UNSET:
            task.assign(ctx, text(edit.assignee))
        return decided(task, seen, self._live_tags(ctx, task))

    def delete_task(self, ctx: Context, task_id: UUID, if_match: IfMatch | None) -> Decision[Task]:
        task, seen = self._load_task(ctx, task_id, if_match)
        task.delete(ctx)
        return decided(task, seen)

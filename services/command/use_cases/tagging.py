"""Tagging a task and untagging it: both rely on the tag as well as the task."""

from __future__ import annotations

from uuid import UUID

from services.command.domain.base import Context
from services.command.domain.tag import Tag
from services.command.domain.task import Task
from services.command.preconditions import IfMatch
from services.command.use_cases.decision import Decision, decided
from services.command.use_cases.loading import Loading


class TaggingUseCases(Loading):
    def tag_task(
        self, ctx: Context, task_id: UUID, tag_id: UUID, if_match: IfMatch | None
    ) -> Decision[Task]:
        task, seen = self._load_task(ctx, task_id, if_match)
        tag = self._load(Tag, ctx, tag_id, None)
        seen[tag.id] = tag.version
        task.tag(ctx, tag.id)
        return decided(task, seen)

    def untag_task(
        self, ctx: Context, task_id: UUID, tag_id: UUID, if_match: IfMatch | None
    ) -> Decision[Task]:
        task, seen = self._load_task(ctx, task_id, if_match)
        tag = self._load(Tag, ctx, tag_id, None)
        seen[tag.id] = tag.version
        task.untag(ctx, tag.id)
        return decided(task, seen)

"""Project use cases: create, rename or describe, delete."""

from __future__ import annotations

from uuid import UUID

from services.command.domain.base import Context
from services.command.domain.project import Project
from services.command.preconditions import IfMatch
from services.command.use_cases.decision import UNSET, Decision, decided, text
from services.command.use_cases.loading import Loading


class ProjectUseCases(Loading):
    def create_project(
        self, ctx: Context, project_id: UUID, name: str, description: str | None
    ) -> Decision[Project]:
        return decided(Project.create(ctx, project_id, name, description), {})

    def update_project(
        self,
        ctx: Context,
        project_id: UUID,
        if_match: IfMatch | None,
        name: str | None,
        description: str | object | None,
    ) -> Decision[Project]:
        project = self._load(Project, ctx, project_id, if_match)
        seen = {project.id: project.version}
        if name is not None:
            project.rename(ctx, name)
        if description is not UNSET:
            project.describe(ctx, text(description))
        return decided(project, seen)

    def delete_project(
        self, ctx: Context, project_id: UUID, if_match: IfMatch | None
    ) -> Decision[Project]:
        """Its tasks end with it: subscribers learn it from ProjectDeleted (docs/events.md)."""
        project = self._load(Project, ctx, project_id, if_match)
        seen = {project.id: project.version}
        project.delete(ctx)
        return decided(project, seen)

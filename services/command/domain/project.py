"""The project aggregate and the events it records."""

from __future__ import annotations

from uuid import UUID

from services.command.domain.base import Context, TenantAggregate


class Project(TenantAggregate):
    """A tenant's container of tasks; deleting it ends the tasks with it."""

    def __init__(self, tenant_id: UUID, name: str, description: str | None) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.description = description
        self.deleted = False

    class ProjectCreated(TenantAggregate.Created):
        name: str
        description: str | None

    class ProjectRenamed(TenantAggregate.Event):
        name: str

        def apply(self, project: Project) -> None:
            project.name = self.name

    class ProjectDescriptionChanged(TenantAggregate.Event):
        description: str | None

        def apply(self, project: Project) -> None:
            project.description = self.description

    class ProjectDeleted(TenantAggregate.Event):
        def apply(self, project: Project) -> None:
            project.deleted = True

    @classmethod
    def create(cls, ctx: Context, project_id: UUID, name: str, description: str | None) -> Project:
        return cls._start(cls.ProjectCreated, ctx, project_id, name=name, description=description)

    def rename(self, ctx: Context, name: str) -> None:
        if name != self.name:
            self._record(self.ProjectRenamed, ctx, name=name)

    def describe(self, ctx: Context, description: str | None) -> None:
        if description != self.description:
            self._record(self.ProjectDescriptionChanged, ctx, description=description)

    def delete(self, ctx: Context) -> None:
        if not self.deleted:
            self._record(self.ProjectDeleted, ctx)

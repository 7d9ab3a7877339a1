"""Given events, when a command, then events: the project aggregate's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.command.domain.base import Context
from services.command.domain.project import Project

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def ctx(at: datetime = T0, actor: str | None = "alice") -> Context:
    return Context(tenant_id=TENANT, actor=actor, now=at)


TENANT = uuid4()


def event_names(project: Project) -> list[str]:
    return [type(e).__name__ for e in project.collect_events()]


def test_creating_records_tenant_actor_and_the_given_time() -> None:
    project_id = uuid4()
    project = Project.create(ctx(), project_id, "Launch", "Q3 launch")
    [created] = project.collect_events()
    assert isinstance(created, Project.ProjectCreated)
    assert (created.tenant_id, created.actor, created.timestamp) == (TENANT, "alice", T0)
    assert (created.originator_id, created.name, created.description) == (
        project_id,
        "Launch",
        "Q3 launch",
    )
    assert (project.version, project.deleted, project.belongs_to(TENANT)) == (1, False, True)


def test_project_belongs_to_its_tenant_only() -> None:
    project = Project.create(ctx(), uuid4(), "Launch", None)
    assert not project.belongs_to(uuid4())


def test_rename_and_describe_record_only_real_changes() -> None:
    project = Project.create(ctx(), uuid4(), "Launch", None)
    project.collect_events()
    project.rename(ctx(T0 + timedelta(seconds=1)), "Launch")
    project.describe(ctx(), None)
    assert event_names(project) == []
    project.rename(ctx(), "Liftoff")
    project.describe(ctx(), "now with rockets")
    assert event_names(project) == ["ProjectRenamed", "ProjectDescriptionChanged"]
    assert (project.name, project.description, project.version) == (
        "Liftoff",
        "now with rockets",
        3,
    )


def test_deleting_twice_records_one_event_and_hides_the_project() -> None:
    project = Project.create(ctx(), uuid4(), "Launch", None)
    project.collect_events()
    project.delete(ctx())
    project.delete(ctx())
    assert event_names(project) == ["ProjectDeleted"]
    assert not project.belongs_to(TENANT)


def test_events_carry_the_actor_of_each_command() -> None:
    project = Project.create(ctx(actor="alice"), uuid4(), "Launch", None)
    project.rename(ctx(actor=None), "Liftoff")
    created, renamed = project.collect_events()
    assert isinstance(created, Project.ProjectCreated)
    assert isinstance(renamed, Project.ProjectRenamed)
    assert (created.actor, renamed.actor, renamed.tenant_id) == ("alice", None, TENANT)

"""Project use cases, recorded and read back through the library's in-memory store."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.command.application import TaskstreamApplication
from services.command.domain.errors import NotFound, VersionMismatch
from services.command.domain.project import Project
from services.command.preconditions import at
from services.command.use_cases.decision import UNSET
from tests.unit.use_cases.given import ctx, project, recorded, task

TENANT = uuid4()


def test_creating_records_the_project_with_its_tenant_and_answers_its_position(
    app: TaskstreamApplication,
) -> None:
    project_id = uuid4()
    position = app.record(app.create_project(ctx(TENANT, "bob"), project_id, "Launch", "Q3"))
    [created] = app.events.get(project_id)
    assert isinstance(created, Project.ProjectCreated)
    assert (created.tenant_id, created.actor, created.name) == (TENANT, "bob", "Launch")
    assert position == app.current_position() == 1
    loaded: Project = app.repository.get(project_id)
    assert (loaded.name, loaded.description, loaded.version) == ("Launch", "Q3", 1)


def test_renaming_and_describing_record_one_event_each(app: TaskstreamApplication) -> None:
    project_id = project(app, TENANT)
    decision = app.update_project(ctx(TENANT), project_id, None, "renamed", "described")
    app.record(decision)
    assert recorded(app, project_id)[1:] == ["ProjectRenamed", "ProjectDescriptionChanged"]
    assert decision.aggregate.version == 3


def test_a_description_not_given_is_left_alone_and_null_clears_it(
    app: TaskstreamApplication,
) -> None:
    project_id = project(app, TENANT)
    app.record(app.update_project(ctx(TENANT), project_id, None, None, "text"))
    app.record(app.update_project(ctx(TENANT), project_id, None, "renamed", UNSET))
    assert app.repository.get(project_id).description == "text"
    app.record(app.update_project(ctx(TENANT), project_id, None, None, None))
    assert app.repository.get(project_id).description is None


def test_an_update_to_the_same_values_records_nothing_and_answers_the_current_position(
    app: TaskstreamApplication,
) -> None:
    project_id = project(app, TENANT, "same")
    before = app.current_position()
    decision = app.update_project(ctx(TENANT), project_id, None, "same", None)
    assert decision.change.events == []
    assert app.record(decision) == before
    assert recorded(app, project_id) == ["ProjectCreated"]


def test_a_deleted_project_is_not_found_and_its_tasks_with_it(app: TaskstreamApplication) -> None:
    project_id = project(app, TENANT)
    task_id = task(app, TENANT, project_id)
    app.record(app.delete_project(ctx(TENANT), project_id, None))
    assert recorded(app, project_id)[-1] == "ProjectDeleted"
    with pytest.raises(NotFound):
        app.update_project(ctx(TENANT), project_id, None, "again", UNSET)
    with pytest.raises(NotFound):
        app.delete_project(ctx(TENANT), project_id, None)
    with pytest.raises(NotFound, match="task"):
        app.delete_task(ctx(TENANT), task_id, None)


def test_if_match_must_name_the_current_version(app: TaskstreamApplication) -> None:
    project_id = project(app, TENANT)
    with pytest.raises(VersionMismatch):
        app.update_project(ctx(TENANT), project_id, at(2), "r", UNSET)
    with pytest.raises(VersionMismatch):
        app.delete_project(ctx(TENANT), project_id, at(2))
    app.record(app.update_project(ctx(TENANT), project_id, at(1), "r", UNSET))
    app.record(app.delete_project(ctx(TENANT), project_id, at(2)))
    assert recorded(app, project_id) == ["ProjectCreated", "ProjectRenamed", "ProjectDeleted"]

"""Task use cases: create, rename, describe, status, due date, assignee, move, delete."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.command.application import TaskstreamApplication
from services.command.domain.errors import NotFound, VersionMismatch
from services.command.domain.task import Status, Task
from services.command.preconditions import at
from services.command.use_cases.tasks import TaskEdit
from tests.unit.use_cases.given import ctx, project, recorded, tag, task

TENANT = uuid4()


def test_creating_a_task_tags_it_once_per_tag(app: TaskstreamApplication) -> None:
    project_id, tag_id = project(app, TENANT), tag(app, TENANT)
    task_id = uuid4()
    decision = app.create_task(
        ctx(TENANT), project_id, task_id, "t", "d", Status.IN_PROGRESS, [tag_id, tag_id]
    )
    app.record(decision)
    assert recorded(app, task_id) == ["TaskCreated", "TaskTagged"]
    assert [t.id for t in decision.tags] == [tag_id]
    loaded: Task = app.repository.get(task_id)
    assert (loaded.project_id, loaded.status, loaded.tag_ids) == (
        project_id,
        Status.IN_PROGRESS,
        [tag_id],
    )


def test_a_task_needs_a_live_project_and_live_tags(app: TaskstreamApplication) -> None:
    project_id, tag_id = project(app, TENANT), tag(app, TENANT)
    with pytest.raises(NotFound, match="project"):
        app.create_task(ctx(TENANT), uuid4(), uuid4(), "t", None, Status.PENDING, [])
    with pytest.raises(NotFound, match="tag"):
        app.create_task(ctx(TENANT), project_id, uuid4(), "t", None, Status.PENDING, [uuid4()])
    app.record(app.delete_tag(ctx(TENANT), tag_id, None))
    with pytest.raises(NotFound, match="tag"):
        app.create_task(ctx(TENANT), project_id, uuid4(), "t", None, Status.PENDING, [tag_id])
    app.record(app.delete_project(ctx(TENANT), project_id, None))
    with pytest.raises(NotFound, match="project"):
        app.create_task(ctx(TENANT), project_id, uuid4(), "t", None, Status.PENDING, [])


def test_an_edit_records_each_changed_field(app: TaskstreamApplication) -> None:
    source, target = project(app, TENANT), project(app, TENANT)
    task_id = task(app, TENANT, source)
    edit = TaskEdit(title="new", description="d", status=Status.DONE, project_id=target)
    app.record(app.update_task(ctx(TENANT), task_id, None, edit))
    assert recorded(app, task_id)[1:] == [
        "TaskMoved",
        "TaskRenamed",
        "TaskDescriptionChanged",
        "TaskStatusChanged",
    ]
    [*_, moved, _, _, status] = app.events.get(task_id)
    assert isinstance(moved, Task.TaskMoved) and moved.previous_project_id == source
    assert isinstance(status, Task.TaskStatusChanged) and status.previous_status == "pending"


def test_an_edit_that_changes_nothing_records_nothing(app: TaskstreamApplication) -> None:
    project_id = project(app, TENANT)
    task_id = task(app, TENANT, project_id)
    edit = TaskEdit(title="t", status=Status.PENDING, project_id=project_id)
    decision = app.update_task(ctx(TENANT), task_id, None, edit)
    assert decision.change.events == []


def test_a_move_needs_a_live_project_of_the_tenant(app: TaskstreamApplication) -> None:
    project_id, gone = project(app, TENANT), project(app, TENANT)
    task_id = task(app, TENANT, project_id)
    app.record(app.delete_project(ctx(TENANT), gone, None))
    for target in (gone, uuid4(), project(app, uuid4())):
        with pytest.raises(NotFound, match="project"):
            app.update_task(ctx(TENANT), task_id, None, TaskEdit(project_id=target))


def test_an_edit_answers_the_task_with_its_live_tags(app: TaskstreamApplication) -> None:
    project_id, kept, deleted = project(app, TENANT), tag(app, TENANT, "a"), tag(app, TENANT, "b")
    task_id = task(app, TENANT, project_id, [kept, deleted])
    app.record(app.delete_tag(ctx(TENANT), deleted, None))
    decision = app.update_task(ctx(TENANT), task_id, None, TaskEdit(title="x"))
    assert [t.id for t in decision.tags] == [kept]


def test_a_deleted_task_is_not_found(app: TaskstreamApplication) -> None:
    task_id = task(app, TENANT, project(app, TENANT))
    app.record(app.delete_task(ctx(TENANT), task_id, None))
    assert recorded(app, task_id)[-1] == "TaskDeleted"
    with pytest.raises(NotFound):
        app.update_task(ctx(TENANT), task_id, None, TaskEdit(title="x"))
    with pytest.raises(NotFound):
        app.delete_task(ctx(TENANT), task_id, None)


def test_if_match_must_name_the_task_s_current_version(app: TaskstreamApplication) -> None:
    task_id = task(app, TENANT, project(app, TENANT))
    with pytest.raises(VersionMismatch):
        app.update_task(ctx(TENANT), task_id, at(2), TaskEdit(title="x"))
    with pytest.raises(VersionMismatch):
        app.delete_task(ctx(TENANT), task_id, at(2))
    app.record(app.update_task(ctx(TENANT), task_id, at(1), TaskEdit(title="x")))
    app.record(app.delete_task(ctx(TENANT), task_id, at(2)))


def test_a_due_date_and_an_assignee_are_set_changed_and_cleared(
    app: TaskstreamApplication,
) -> None:
    project_id, task_id = project(app, TENANT), uuid4()
    due = date(2026, 3, 14)
    created = app.create_task(
        ctx(TENANT), project_id, task_id, "t", None, Status.PENDING, [], due_on=due, assignee="sam"
    )
    app.record(created)
    assert (created.aggregate.due_on, created.aggregate.assignee) == (due, "sam")

    app.record(app.update_task(ctx(TENANT), task_id, None, TaskEdit(title="kept dates")))
    loaded: Task = app.repository.get(task_id)
    assert (loaded.due_on, loaded.assignee) == (due, "sam")

    later = TaskEdit(status=Status.DONE, due_on=date(2026, 4, 1), assignee="kim")
    app.record(app.update_task(ctx(TENANT), task_id, None, later))
    assert recorded(app, task_id)[-3:] == [
        "TaskStatusChanged",
        "TaskDueDateChanged",
        "TaskAssigneeChanged",
    ]
    cleared = app.update_task(ctx(TENANT), task_id, None, TaskEdit(due_on=None, assignee=None))
    app.record(cleared)
    loaded = app.repository.get(task_id)
    assert (loaded.due_on, loaded.assignee) == (None, None)
    assert recorded(app, task_id)[-2:] == ["TaskDueDateChanged", "TaskAssigneeChanged"]

"""A decision taken on state that moved before it was recorded is refused (Stale), and
nothing of it is recorded: the aggregate it changes, and every one it relied on."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.command.application import TaskstreamApplication
from services.command.domain.task import Status
from services.command.recording.refusals import NameTaken, Stale
from services.command.use_cases.decision import UNSET
from services.command.use_cases.tasks import TaskEdit
from tests.unit.use_cases.given import ctx, project, recorded, tag, task

TENANT = uuid4()


def test_a_decision_on_a_stale_version_is_refused(app: TaskstreamApplication) -> None:
    project_id = project(app, TENANT)
    stale = app.update_project(ctx(TENANT), project_id, None, "late", UNSET)
    app.record(app.update_project(ctx(TENANT), project_id, None, "first", UNSET))
    with pytest.raises(Stale):
        app.record(stale)
    assert app.repository.get(project_id).name == "first"


def test_tagging_with_a_tag_deleted_meanwhile_is_refused(app: TaskstreamApplication) -> None:
    task_id, tag_id = task(app, TENANT, project(app, TENANT)), tag(app, TENANT)
    tagging = app.tag_task(ctx(TENANT), task_id, tag_id, None)
    app.record(app.delete_tag(ctx(TENANT), tag_id, None))
    with pytest.raises(Stale):
        app.record(tagging)
    assert recorded(app, task_id) == ["TaskCreated"]


def test_a_task_created_in_a_project_deleted_meanwhile_is_refused(
    app: TaskstreamApplication,
) -> None:
    project_id = project(app, TENANT)
    creating = app.create_task(ctx(TENANT), project_id, uuid4(), "t", None, Status.PENDING, [])
    app.record(app.delete_project(ctx(TENANT), project_id, None))
    with pytest.raises(Stale):
        app.record(creating)
    assert recorded(app, creating.aggregate.id) == []


def test_a_move_to_a_project_that_changed_meanwhile_is_refused(
    app: TaskstreamApplication,
) -> None:
    source, target = project(app, TENANT), project(app, TENANT)
    task_id = task(app, TENANT, source)
    moving = app.update_task(ctx(TENANT), task_id, None, TaskEdit(project_id=target))
    app.record(app.delete_project(ctx(TENANT), target, None))
    with pytest.raises(Stale):
        app.record(moving)
    assert app.repository.get(task_id).project_id == source


def test_a_second_create_of_one_id_is_refused(app: TaskstreamApplication) -> None:
    project_id = uuid4()
    app.record(app.create_project(ctx(TENANT), project_id, "original", None))
    with pytest.raises(Stale):
        app.record(app.create_project(ctx(TENANT), project_id, "impostor", None))
    assert app.repository.get(project_id).name == "original"


def test_of_two_tags_decided_with_one_name_the_second_recorded_is_refused(
    app: TaskstreamApplication,
) -> None:
    first = app.create_tag(ctx(TENANT), uuid4(), "Same", None)
    second = app.create_tag(ctx(TENANT), uuid4(), "same", None)
    app.record(first)
    with pytest.raises(NameTaken):
        app.record(second)
    assert recorded(app, second.aggregate.id) == []

"""Tagging and untagging a task: each relies on the task, its project and the tag."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.command.application import TaskstreamApplication
from services.command.domain.errors import Invalid, NotFound, VersionMismatch
from services.command.domain.task import MAX_TAGS_PER_TASK
from services.command.preconditions import at
from tests.unit.use_cases.given import ctx, project, recorded, tag, task

TENANT = uuid4()


def test_tagging_twice_records_one_event(app: TaskstreamApplication) -> None:
    task_id, tag_id = task(app, TENANT, project(app, TENANT)), tag(app, TENANT)
    app.record(app.tag_task(ctx(TENANT), task_id, tag_id, None))
    again = app.tag_task(ctx(TENANT), task_id, tag_id, None)
    assert again.change.events == []
    assert app.record(again) == app.current_position()
    assert recorded(app, task_id) == ["TaskCreated", "TaskTagged"]


def test_untagging_records_only_what_was_tagged(app: TaskstreamApplication) -> None:
    task_id, tag_id = task(app, TENANT, project(app, TENANT)), tag(app, TENANT)
    assert app.untag_task(ctx(TENANT), task_id, tag_id, None).change.events == []
    app.record(app.tag_task(ctx(TENANT), task_id, tag_id, None))
    app.record(app.untag_task(ctx(TENANT), task_id, tag_id, None))
    assert recorded(app, task_id)[1:] == ["TaskTagged", "TaskUntagged"]
    assert app.repository.get(task_id).tag_ids == []


def test_tagging_needs_a_live_tag(app: TaskstreamApplication) -> None:
    task_id, tag_id = task(app, TENANT, project(app, TENANT)), tag(app, TENANT)
    app.record(app.delete_tag(ctx(TENANT), tag_id, None))
    with pytest.raises(NotFound, match="tag"):
        app.tag_task(ctx(TENANT), task_id, tag_id, None)
    with pytest.raises(NotFound, match="tag"):
        app.untag_task(ctx(TENANT), task_id, uuid4(), None)


def test_a_task_carries_a_bounded_number_of_tags(app: TaskstreamApplication) -> None:
    tags = [tag(app, TENANT, f"t{n}") for n in range(MAX_TAGS_PER_TASK + 1)]
    task_id = task(app, TENANT, project(app, TENANT), tags[:-1])
    with pytest.raises(Invalid):
        app.tag_task(ctx(TENANT), task_id, tags[-1], None)


def test_if_match_refers_to_the_task_s_version(app: TaskstreamApplication) -> None:
    task_id, tag_id = task(app, TENANT, project(app, TENANT)), tag(app, TENANT)
    with pytest.raises(VersionMismatch):
        app.tag_task(ctx(TENANT), task_id, tag_id, at(2))
    app.record(app.tag_task(ctx(TENANT), task_id, tag_id, at(1)))
    with pytest.raises(VersionMismatch):
        app.untag_task(ctx(TENANT), task_id, tag_id, at(1))
    app.record(app.untag_task(ctx(TENANT), task_id, tag_id, at(2)))

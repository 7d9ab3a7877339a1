"""Given events, when a command, then events or an error: the task aggregate's rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.command.domain.base import Context
from services.command.domain.errors import Invalid
from services.command.domain.task import MAX_TAGS_PER_TASK, Status, Task

TENANT = uuid4()
PROJECT = uuid4()
T0 = datetime(2026, 1, 1, tzinfo=UTC)
DUE = date(2026, 3, 14)


def ctx(actor: str | None = "alice") -> Context:
    return Context(TENANT, actor, T0)


def new_task(*tag_ids: object) -> Task:
    task = Task.create(ctx(), uuid4(), PROJECT, "Write", None, Status.PENDING, list(tag_ids))  # type: ignore[arg-type]
    task.collect_events()
    return task


def names(task: Task) -> list[str]:
    return [type(e).__name__ for e in task.collect_events()]


def test_creating_with_tags_records_one_tagging_per_distinct_tag() -> None:
    tag = uuid4()
    task = Task.create(ctx(), uuid4(), PROJECT, "Write", "docs", Status.DONE, [tag, tag])
    events = task.collect_events()
    assert [type(e).__name__ for e in events] == ["TaskCreated", "TaskTagged"]
    created = events[0]
    assert isinstance(created, Task.TaskCreated)
    assert (created.tenant_id, created.project_id, created.status) == (TENANT, PROJECT, "done")
    assert task.tag_ids == [tag]


def test_tagging_twice_records_one_event() -> None:
    tag = uuid4()
    task = new_task()
    task.tag(ctx(), tag)
    task.tag(ctx(), tag)
    assert names(task) == ["TaskTagged"]


def test_untagging_a_tag_the_task_does_not_carry_records_nothing() -> None:
    task = new_task()
    task.untag(ctx(), uuid4())
    assert names(task) == []


def test_untagging_removes_the_tag() -> None:
    tag = uuid4()
    task = new_task(tag)
    task.untag(ctx(), tag)
    assert (names(task), task.tag_ids) == (["TaskUntagged"], [])


def test_a_task_carries_a_bounded_number_of_tags() -> None:
    task = new_task(*[uuid4() for _ in range(MAX_TAGS_PER_TASK)])
    with pytest.raises(Invalid):
        task.tag(ctx(), uuid4())


def test_changes_record_the_previous_value_for_subscribers() -> None:
    task = new_task()
    target = uuid4()
    task.change_status(ctx(), Status.IN_PROGRESS)
    task.move(ctx(), target)
    moved, changed = reversed(task.collect_events())
    assert isinstance(changed, Task.TaskStatusChanged)
    assert (changed.status, changed.previous_status) == ("in_progress", "pending")
    assert isinstance(moved, Task.TaskMoved)
    assert (moved.project_id, moved.previous_project_id) == (target, PROJECT)
    assert task.project_id == target


def test_unchanged_values_record_nothing() -> None:
    task = new_task()
    task.rename(ctx(), "Write")
    task.describe(ctx(), None)
    task.change_status(ctx(), Status.PENDING)
    task.move(ctx(), PROJECT)
    assert names(task) == []


def test_deleting_twice_records_one_event_naming_the_project() -> None:
    task = new_task()
    task.delete(ctx())
    task.delete(ctx())
    [deleted] = task.collect_events()
    assert isinstance(deleted, Task.TaskDeleted)
    assert deleted.project_id == PROJECT
    assert not task.belongs_to(TENANT)


def test_every_event_carries_tenant_actor_and_time() -> None:
    task = new_task()
    task.rename(ctx("bob"), "Write more")
    [renamed] = task.collect_events()
    assert isinstance(renamed, Task.TaskRenamed)
    assert (renamed.tenant_id, renamed.actor, renamed.timestamp) == (TENANT, "bob", T0)


def test_a_task_is_created_with_a_due_date_and_an_assignee_or_without() -> None:
    task = Task.create(
        ctx(), uuid4(), PROJECT, "Ship", None, Status.PENDING, [], due_on=DUE, assignee="sam"
    )
    [created] = task.collect_events()
    assert isinstance(created, Task.TaskCreated)
    assert (created.due_on, created.assignee) == ("2026-03-14", "sam")
    assert (task.due_on, task.assignee) == (DUE, "sam")
    assert (new_task().due_on, new_task().assignee) == (None, None)


def test_due_dates_and_assignees_change_through_their_own_events() -> None:
    task = new_task()
    task.set_due_date(ctx(), DUE)
    task.assign(ctx(), "sam")
    task.set_due_date(ctx(), date(2026, 4, 1))
    task.assign(ctx(), "kim")
    task.set_due_date(ctx(), None)
    task.assign(ctx(), None)
    events = task.collect_events()
    assert [type(e).__name__ for e in events] == [
        "TaskDueDateChanged",
        "TaskAssigneeChanged",
    ] * 3
    assert [getattr(e, "due_on", getattr(e, "assignee", "")) for e in events] == [
        "2026-03-14",
        "sam",
        "2026-04-01",
        "kim",
        None,
        None,
    ]
    assert (task.due_on, task.assignee) == (None, None)


def test_the_same_due_date_or_assignee_again_records_nothing() -> None:
    task = new_task()
    task.set_due_date(ctx(), None)
    task.assign(ctx(), None)
    task.set_due_date(ctx(), DUE)
    task.assign(ctx(), "sam")
    task.collect_events()
    task.set_due_date(ctx(), date(2026, 3, 14))
    task.assign(ctx(), "sam")
    assert names(task) == []

"""Every use case answers another tenant's id exactly as an id that does not exist, and
records nothing; no command relates objects of two tenants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.command.application import TaskstreamApplication
from services.command.domain.errors import NotFound
from services.command.domain.task import Status
from services.command.use_cases.decision import UNSET, Decision
from services.command.use_cases.tasks import TaskEdit
from tests.unit.use_cases.given import ctx, project, tag, task

OWNER, OTHER = uuid4(), uuid4()


@dataclass(frozen=True)
class Owned:
    """The owner's objects, and the other tenant's own project and tag to relate them to."""

    project: UUID
    task: UUID
    tag: UUID
    other_project: UUID
    other_tag: UUID


UseCase = Callable[[TaskstreamApplication, Owned], Decision[Any]]
AS_OTHER = ctx(OTHER)
USE_CASES: dict[str, UseCase] = {
    "rename project": lambda a, o: a.update_project(AS_OTHER, o.project, None, "x", UNSET),
    "describe project": lambda a, o: a.update_project(AS_OTHER, o.project, None, None, "d"),
    "delete project": lambda a, o: a.delete_project(AS_OTHER, o.project, None),
    "create task in project": lambda a, o: a.create_task(
        AS_OTHER, o.project, uuid4(), "t", None, Status.PENDING, []
    ),
    "create task with tag": lambda a, o: a.create_task(
        AS_OTHER, o.other_project, uuid4(), "t", None, Status.PENDING, [o.tag]
    ),
    "rename task": lambda a, o: a.update_task(AS_OTHER, o.task, None, TaskEdit(title="x")),
    "describe task": lambda a, o: a.update_task(AS_OTHER, o.task, None, TaskEdit(description="d")),
    "change task status": lambda a, o: a.update_task(
        AS_OTHER, o.task, None, TaskEdit(status=Status.DONE)
    ),
    "move task": lambda a, o: a.update_task(
        AS_OTHER, o.task, None, TaskEdit(project_id=o.other_project)
    ),
    "delete task": lambda a, o: a.delete_task(AS_OTHER, o.task, None),
    "tag task": lambda a, o: a.tag_task(AS_OTHER, o.task, o.other_tag, None),
    "untag task": lambda a, o: a.untag_task(AS_OTHER, o.task, o.tag, None),
    "rename tag": lambda a, o: a.update_tag(AS_OTHER, o.tag, None, "x", UNSET),
    "recolor tag": lambda a, o: a.update_tag(AS_OTHER, o.tag, None, None, "#000000"),
    "delete tag": lambda a, o: a.delete_tag(AS_OTHER, o.tag, None),
}


def owned(app: TaskstreamApplication) -> Owned:
    project_id, tag_id = project(app, OWNER), tag(app, OWNER)
    return Owned(
        project_id,
        task(app, OWNER, project_id, [tag_id]),
        tag_id,
        project(app, OTHER),
        tag(app, OTHER),
    )


@pytest.mark.parametrize("use_case", USE_CASES.values(), ids=USE_CASES.keys())
def test_another_tenant_s_id_is_not_found_and_nothing_is_recorded(
    app: TaskstreamApplication, use_case: UseCase
) -> None:
    objects = owned(app)
    before = app.current_position()
    with pytest.raises(NotFound) as refused:
        use_case(app, objects)
    assert str(refused.value) == str(NotFound(refused.value.kind))
    assert app.current_position() == before


def test_the_owner_relates_its_own_objects_with_the_other_tenant_s_ids_refused(
    app: TaskstreamApplication,
) -> None:
    objects = owned(app)
    mine = ctx(OWNER)
    with pytest.raises(NotFound):
        app.tag_task(mine, objects.task, objects.other_tag, None)
    with pytest.raises(NotFound):
        app.update_task(mine, objects.task, None, TaskEdit(project_id=objects.other_project))
    with pytest.raises(NotFound):
        app.create_task(
            mine, objects.project, uuid4(), "t", None, Status.PENDING, [objects.other_tag]
        )
    app.record(app.tag_task(mine, objects.task, objects.tag, None))

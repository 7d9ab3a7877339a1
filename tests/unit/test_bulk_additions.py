"""Which pages of events the live projector may write with its COMMIT, in one message."""

from __future__ import annotations

from uuid import uuid4

from services.projector.projection import bulk_writes, rules, writing
from services.projector.projection.page import Page
from shared.stored_events.decoding import Stored

TENANT = str(uuid4())
TIME = "2026-03-01T00:00:00Z"


def created(kind: str, aggregate_id: str, **data: object) -> Stored:
    return Stored(kind, aggregate_id, 1, TENANT, TIME, {"name": "x", **data})


def page_of(*events: Stored) -> Page:
    page = Page()
    for event in events:
        rules.apply(page, event)
    return page


def test_a_page_that_only_creates_is_written_as_one_insert_per_table() -> None:
    project, task, tag = str(uuid4()), str(uuid4()), str(uuid4())
    page = page_of(
        created("ProjectCreated", project),
        created("TagCreated", tag),
        created("TaskCreated", task, project_id=project, title="t", status="pending"),
        Stored("TaskTagged", task, 2, TENANT, TIME, {"tag_id": tag}),
    )
    additions = writing.additions(page)
    assert additions is not None
    assert len(additions) == 4  # projects, tasks, tags, task_tags


def test_a_page_that_changes_an_earlier_row_is_not() -> None:
    project = str(uuid4())
    page = Page()
    page.rows["projects"][project] = {
        "id": project,
        "tenant_id": TENANT,
        "name": "old",
        "description": None,
        "created_at": TIME,
        "updated_at": TIME,
        "version": 1,
    }
    rules.apply(page, Stored("ProjectRenamed", project, 2, TENANT, TIME, {"name": "new"}))
    assert writing.additions(page) is None


def test_a_page_that_deletes_is_not() -> None:
    page = page_of(Stored("TaskDeleted", str(uuid4()), 3, TENANT, TIME, {}))
    assert writing.additions(page) is None


def test_a_page_too_large_for_one_insert_is_not() -> None:
    events = [created("ProjectCreated", str(uuid4())) for _ in range(bulk_writes.INSERT_LIMIT + 1)]
    assert writing.additions(page_of(*events)) is None

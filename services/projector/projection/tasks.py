"""What each task event does to the read tables."""

from __future__ import annotations

from services.projector.projection.page import Page
from shared.stored_events.decoding import Stored


def task_created(page: Page, e: Stored) -> None:
    """Made only in a live project of the task's tenant."""
    project_id = e.data["project_id"]
    if page.live("projects", project_id, e.tenant_id) is None:
        return
    values = {
        "project_id": project_id,
        "title": e.data.get("title"),
        "description": e.data.get("description"),
        "status": e.data.get("status"),
        "due_on": e.data.get("due_on"),
        "assignee": e.data.get("assignee"),
    }
    page.create("tasks", e, values)


def task_renamed(page: Page, e: Stored) -> None:
    page.update("tasks", e, {"title": e.data.get("title")})


def task_description_changed(page: Page, e: Stored) -> None:
    page.update("tasks", e, {"description": e.data.get("description")})


def task_status_changed(page: Page, e: Stored) -> None:
    page.update("tasks", e, {"status": e.data.get("status")})


def task_due_date_changed(page: Page, e: Stored) -> None:
    page.update("tasks", e, {"due_on": e.data.get("due_on")})


def task_assignee_changed(page: Page, e: Stored) -> None:
    page.update("tasks", e, {"assignee": e.data.get("assignee")})


def task_moved(page: Page, e: Stored) -> None:
    page.update("tasks", e, {"project_id": e.data["project_id"]})


def task_deleted(page: Page, e: Stored) -> None:
    """The task and its tag links."""
    page.delete_task(e.aggregate_id, e.tenant_id)


def task_tagged(page: Page, e: Stored) -> None:
    """Linked when both the task and the tag are live in the event's tenant; the task's
    version moves either way (its ETag follows its events)."""
    tag_id = e.data["tag_id"]
    task = page.live("tasks", e.aggregate_id, e.tenant_id)
    if task is not None and page.live("tags", tag_id, e.tenant_id) is not None:
        page.link(e.aggregate_id, tag_id, e.tenant_id)
    page.update("tasks", e, {})


def task_untagged(page: Page, e: Stored) -> None:
    page.unlink(e.aggregate_id, e.data["tag_id"], e.tenant_id)
    page.update("tasks", e, {})

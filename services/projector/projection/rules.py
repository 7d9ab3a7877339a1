"""The projection's rules: every event type, and the function that applies it.

This table is the only rule set: the live projector (a batch, or in its fallback a
batch of one) and a rebuild both fold events through it. Every event type of
shared.events.EVENT_AGGREGATES has a rule here or is named in IGNORED.
"""

from __future__ import annotations

from collections.abc import Callable

from services.projector.projection import projects, tags, tasks
from services.projector.projection.page import Page
from shared.stored_events.decoding import Stored

Rule = Callable[[Page, Stored], None]

RULES: dict[str, Rule] = {
    "ProjectCreated": projects.project_created,
    "ProjectRenamed": projects.project_renamed,
    "ProjectDescriptionChanged": projects.project_description_changed,
    "ProjectDeleted": projects.project_deleted,
    "TaskCreated": tasks.task_created,
    "TaskRenamed": tasks.task_renamed,
    "TaskDescriptionChanged": tasks.task_description_changed,
    "TaskStatusChanged": tasks.task_status_changed,
    "TaskDueDateChanged": tasks.task_due_date_changed,
    "TaskAssigneeChanged": tasks.task_assignee_changed,
    "TaskMoved": tasks.task_moved,
    "TaskDeleted": tasks.task_deleted,
    "TaskTagged": tasks.task_tagged,
    "TaskUntagged": tasks.task_untagged,
    "TagCreated": tags.tag_created,
    "TagRenamed": tags.tag_renamed,
    "TagRecolored": tags.tag_recolored,
    "TagDeleted": tags.tag_deleted,
}
IGNORED: frozenset[str] = frozenset()
"""Event types that change no read row (none yet)."""


def apply(page: Page, e: Stored) -> None:
    """Folds one event into the page. A type with neither a rule nor an IGNORED entry
    raises: the store holds an event this projector was not written for."""
    if e.type in IGNORED:
        return
    RULES[e.type](page, e)

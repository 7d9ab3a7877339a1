"""Every event type has exactly one projection rule, or is explicitly ignored."""

from __future__ import annotations

from services.projector.projection.rules import IGNORED, RULES
from shared.events.catalog import EVENT_AGGREGATES

EVENT_TYPES = {
    "ProjectCreated",
    "ProjectRenamed",
    "ProjectDescriptionChanged",
    "ProjectDeleted",
    "TaskCreated",
    "TaskRenamed",
    "TaskDescriptionChanged",
    "TaskStatusChanged",
    "TaskDueDateChanged",
    "TaskAssigneeChanged",
    "TaskMoved",
    "TaskDeleted",
    "TaskTagged",
    "TaskUntagged",
    "TagCreated",
    "TagRenamed",
    "TagRecolored",
    "TagDeleted",
}


def test_the_catalog_is_the_list_above() -> None:
    assert set(EVENT_AGGREGATES) == EVENT_TYPES


def test_every_event_type_has_a_rule_or_is_ignored_never_both() -> None:
    assert set(RULES) | IGNORED == EVENT_TYPES
    assert not set(RULES) & IGNORED


def test_each_rule_is_named_for_its_event_in_its_aggregates_module() -> None:
    """A newcomer finds what TaskTagged does at projection/tasks.py, task_tagged."""
    for kind, rule in RULES.items():
        module = rule.__module__.rsplit(".", 1)[-1]
        assert module == f"{EVENT_AGGREGATES[kind]}s", kind
        words = [c if c.islower() else f"_{c.lower()}" for c in kind]
        assert rule.__name__ == "".join(words).lstrip("_"), kind

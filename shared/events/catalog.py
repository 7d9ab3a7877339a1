"""The published event catalog: every event type, the aggregate it belongs to, and the
subject it is published on."""

from __future__ import annotations

from uuid import UUID

SUBJECT_PREFIX = "taskstream.events"
SOURCE = "taskstream"
SPEC_VERSION = "1.0"
# The event store's positions and versions are PostgreSQL bigints.
MAX_POSITION = 2**63 - 1

EVENT_AGGREGATES: dict[str, str] = {
    "ProjectCreated": "project",
    "ProjectRenamed": "project",
    "ProjectDescriptionChanged": "project",
    "ProjectDeleted": "project",
    "TaskCreated": "task",
    "TaskRenamed": "task",
    "TaskDescriptionChanged": "task",
    "TaskStatusChanged": "task",
    "TaskDueDateChanged": "task",
    "TaskAssigneeChanged": "task",
    "TaskMoved": "task",
    "TaskDeleted": "task",
    "TaskTagged": "task",
    "TaskUntagged": "task",
    "TagCreated": "tag",
    "TagRenamed": "tag",
    "TagRecolored": "tag",
    "TagDeleted": "tag",
}


def subject_for(tenant_id: UUID, event_type: str) -> str:
    return f"{SUBJECT_PREFIX}.{tenant_id}.{EVENT_AGGREGATES[event_type]}.{event_type}"

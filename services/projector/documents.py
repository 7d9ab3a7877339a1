"""Which projects' nested views a batch of events changes.

The query service serves a project's nested view from `project_documents`, a copy
built on first read that stays valid while its revision equals the project's. So
each batch bumps, in its own transaction, the revision of every project whose view
it changes, and the next read builds the view afresh. A project's view changes with
its own events, its tasks' events (a move changes two projects) and the renaming,
recolouring or deletion of a tag one of its tasks carries. Deletions and moves hide
the project a task or tag link belonged to, so owners are looked up before the
batch as well as after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from psycopg import AsyncCursor

Cursor = AsyncCursor[Any]
_TAG_CHANGES = frozenset({"TagRenamed", "TagRecolored", "TagDeleted"})
_OWNERS = (
    "SELECT project_id FROM tasks WHERE id = ANY(%s::uuid[])"
    " UNION SELECT t.project_id FROM task_tags tt JOIN tasks t ON t.id = tt.task_id"
    " WHERE tt.tag_id = ANY(%s::uuid[])"
)
_BUMP = (
    "UPDATE projects SET revision = revision + 1"  # noqa: S608 (constants only)
    " WHERE id = ANY(%s::uuid[]) OR id IN (" + _OWNERS + ")"
)


@dataclass
class Affected:
    """Ids, as strings, that a batch's events name and that can change a view."""

    projects: set[str] = field(default_factory=set)
    tasks: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)

    def add(self, event_type: str, aggregate_id: object, data: Mapping[str, Any]) -> None:
        if event_type.startswith("Project"):
            self.projects.add(str(aggregate_id))
        elif event_type.startswith("Task"):
            self.tasks.add(str(aggregate_id))
            project = data.get("project_id")
            if isinstance(project, str) and _is_uuid(project):
                self.projects.add(project)
        elif event_type in _TAG_CHANGES:
            self.tags.add(str(aggregate_id))

    def __bool__(self) -> bool:
        return bool(self.projects or self.tasks or self.tags)


def _is_uuid(value: str) -> bool:
    """A malformed id is the handler's to refuse; here it must not fail the batch."""
    try:
        UUID(value)
    except ValueError:
        return False
    return True


async def note_owners(cur: Cursor, affected: Affected) -> None:
    """Before the batch: the projects that hold its tasks and its tags' tasks now."""
    if not (affected.tasks or affected.tags):
        return
    await cur.execute(_OWNERS, (list(affected.tasks), list(affected.tags)), prepare=True)
    affected.projects.update(str(row[0]) for row in await cur.fetchall())


async def bump_revisions(cur: Cursor, affected: Affected) -> None:
    """After the batch, in its transaction: every view it changed is stale."""
    if affected:
        await cur.execute(
            _BUMP,
            (list(affected.projects), list(affected.tasks), list(affected.tags)),
            prepare=True,
        )

"""What a batch of events changes beyond the rows its events name.

Kept JSON: the query service serves a project's nested view from
`project_documents` and tasks' JSON from `task_documents`, copies built on first
read that stay valid while their revision equals the project's or the task's. So
each batch bumps, in its own transaction, the revision of every project and task
whose JSON it changes: their own events, a project's tasks' events (a move changes
two projects) and the renaming, recolouring or deletion of a tag a task carries.

Counts: a batch is written as its net effect, so the projects and tags whose
`task_count` it can change are named here and recounted after it (counts.py).

Deletions and moves hide the project a task belonged to and the tags it carried, so
those are looked up before the batch as well as after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncCursor

Cursor = AsyncCursor[Any]
_TAG_CHANGES = frozenset({"TagRenamed", "TagRecolored", "TagDeleted"})
_OWNERS = (
    "SELECT project_id FROM tasks WHERE id = ANY(%s::uuid[])"
    " UNION SELECT t.project_id FROM task_tags tt JOIN tasks t ON t.id = tt.task_id"
    " WHERE tt.tag_id = ANY(%s::uuid[])"
)
# One IN over a UNION, not "id = ANY(...) OR id IN (...)": PostgreSQL answers that OR
# by scanning every project, which made each batch cost more as projects grew.
_BUMP = (
    "UPDATE projects SET revision = revision + 1"  # noqa: S608 (constants only)
    " WHERE id IN (SELECT unnest(%s::uuid[]) UNION " + _OWNERS + ") RETURNING id"
)
_BUMP_TASKS = "UPDATE tasks SET revision = revision + 1 WHERE id = ANY(%s::uuid[])"
_CARRIERS = "SELECT task_id FROM task_tags WHERE tag_id = ANY(%s::uuid[])"
_CARRIED_TAGS = (
    "SELECT tag_id FROM task_tags WHERE task_id = ANY(%s::uuid[])"
    " UNION SELECT tt.tag_id FROM task_tags tt JOIN tasks t ON t.id = tt.task_id"
    " WHERE t.project_id = ANY(%s::uuid[])"
)


@dataclass
class Affected:
    """Ids, as strings, that a batch's events name and that can change a view or a count.
    The events are the store's (admission.py): their ids are canonical UUID strings."""

    projects: set[str] = field(default_factory=set)
    tasks: set[str] = field(default_factory=set)
    created_tasks: set[str] = field(default_factory=set)
    """Tasks the batch creates: none of them is in the tables before it, and each one's
    project is named by its events, so they are left out of the lookups."""
    tags: set[str] = field(default_factory=set)
    counted_tags: set[str] = field(default_factory=set)
    deleted_projects: set[str] = field(default_factory=set)
    retagged_tasks: set[str] = field(default_factory=set)
    tenants: set[str] = field(default_factory=set)

    def add(
        self, event_type: str, aggregate_id: object, data: Mapping[str, Any], tenant_id: object
    ) -> None:
        self.tenants.add(str(tenant_id))
        if event_type.startswith("Project"):
            self.projects.add(str(aggregate_id))
            if event_type == "ProjectDeleted":
                self.deleted_projects.add(str(aggregate_id))
        elif event_type.startswith("Task"):
            self.tasks.add(str(aggregate_id))
            if event_type == "TaskCreated":
                self.created_tasks.add(str(aggregate_id))
            project, tag = data.get("project_id"), data.get("tag_id")
            if project is not None:
                self.projects.add(project)
            if tag is not None:
                self.counted_tags.add(tag)
        elif event_type in _TAG_CHANGES:
            self.tags.add(str(aggregate_id))

    def __bool__(self) -> bool:
        return bool(self.projects or self.tasks or self.tags)

    @property
    def earlier_tasks(self) -> list[str]:
        """The batch's tasks that may be in the tables before it."""
        return list(self.tasks - self.created_tasks)


async def look_before(cur: Cursor, affected: Affected, *, counts: bool = False) -> None:
    """Before the batch: the projects that hold its tasks and its tags' tasks now, the
    tasks that carry its tags now, and with `counts`, the tags its tasks and deleted
    projects' tasks carry now."""
    earlier = affected.earlier_tasks
    if earlier or affected.tags:
        await cur.execute(_OWNERS, (earlier, list(affected.tags)), prepare=True)
        affected.projects.update(str(row[0]) for row in await cur.fetchall())
    if affected.tags:
        await cur.execute(_CARRIERS, (list(affected.tags),), prepare=True)
        affected.retagged_tasks.update(str(row[0]) for row in await cur.fetchall())
    if counts and (earlier or affected.deleted_projects):
        await cur.execute(_CARRIED_TAGS, (earlier, list(affected.deleted_projects)), prepare=True)
        affected.counted_tags.update(str(row[0]) for row in await cur.fetchall())


def _only_new_projects(affected: Affected, created_projects: Set[str]) -> bool:
    """No task or tag event, and every project named was created by this batch: no JSON
    is kept of a project that did not exist, and only task events change a count."""
    return not (affected.tasks or affected.tags) and affected.projects <= created_projects


def needs_statements(affected: Affected, created_projects: Set[str]) -> bool:
    """Whether `counts.recount` and `bump_revisions` (after a bulk write) have anything to do."""
    return not _only_new_projects(affected, created_projects) or bool(
        affected.counted_tags or affected.retagged_tasks or affected.deleted_projects
    )


async def bump_revisions(
    cur: Cursor,
    affected: Affected,
    *,
    rows_written: bool = False,
    created_projects: Set[str] = frozenset(),
) -> set[str]:
    """After the batch, in its transaction: every kept JSON it changed is stale, and
    the views of deleted projects are gone. With `rows_written`, the bulk write has
    already bumped the task rows it rewrote, and only tasks carrying a changed tag
    are left. Returns the projects whose nested view changed, deleted ones included.

    Projects this batch created have no kept JSON: when they are all it names, nothing
    needs a bump, and they are named as changed without one."""
    changed = set(affected.deleted_projects)
    if _only_new_projects(affected, created_projects):
        changed.update(affected.projects)
    elif affected:
        await cur.execute(
            _BUMP,
            (list(affected.projects), affected.earlier_tasks, list(affected.tags)),
            prepare=True,
        )
        changed.update(str(row[0]) for row in await cur.fetchall())
    tasks = affected.retagged_tasks if rows_written else affected.tasks | affected.retagged_tasks
    if tasks:
        await cur.execute(_BUMP_TASKS, (list(tasks),), prepare=True)
    if affected.deleted_projects:
        await cur.execute(
            "DELETE FROM project_documents WHERE project_id = ANY(%s::uuid[])",
            (list(affected.deleted_projects),),
        )
    return changed

"""How many tasks each project holds and each tag carries, recounted from the rows.

A batch is written as its net effect, not event by event, so counts are not kept by
adding and subtracting: after the write, each count the batch can change is counted
again from the rows (`recount(cur, affected)`), and a rebuild counts every one at its
end (`recount(cur)`).
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncCursor

from services.projector.projection.affected import Affected

_RECOUNT_PROJECTS = (
    "UPDATE projects p SET task_count = (SELECT count(*) FROM tasks t"
    " WHERE t.tenant_id = p.tenant_id AND t.project_id = p.id)"
    " WHERE p.id = ANY(%s::uuid[])"
)
_RECOUNT_TAGS = (
    "UPDATE tags g SET task_count = (SELECT count(*) FROM task_tags tt WHERE tt.tag_id = g.id)"
    " WHERE g.id = ANY(%s::uuid[])"
)
# Every row at once: one join and one pass, and only the counts that differ are written.
_RECOUNT_EVERY_PROJECT = (
    "UPDATE projects p SET task_count = c.n FROM (SELECT q.id, count(t.id) AS n"
    " FROM projects q LEFT JOIN tasks t ON t.project_id = q.id AND t.tenant_id = q.tenant_id"
    " GROUP BY q.id) c"
    " WHERE p.id = c.id AND p.task_count <> c.n"
)
_RECOUNT_EVERY_TAG = (
    "UPDATE tags g SET task_count = c.n FROM (SELECT h.id, count(tt.task_id) AS n"
    " FROM tags h LEFT JOIN task_tags tt ON tt.tag_id = h.id AND tt.tenant_id = h.tenant_id"
    " GROUP BY h.id) c"
    " WHERE g.id = c.id AND g.task_count <> c.n"
)


async def recount(cur: AsyncCursor[Any], affected: Affected | None = None) -> None:
    """The counts `affected` can have changed, or all of them. Only task events change
    how many tasks a project holds."""
    if affected is None:
        await cur.execute(_RECOUNT_EVERY_PROJECT)
        await cur.execute(_RECOUNT_EVERY_TAG)
        return
    if affected.projects and affected.tasks:
        await cur.execute(_RECOUNT_PROJECTS, (list(affected.projects),), prepare=True)
    if affected.counted_tags:
        await cur.execute(_RECOUNT_TAGS, (list(affected.counted_tags),), prepare=True)

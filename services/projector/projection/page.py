"""The net effect of a batch of events on the read tables, kept in memory while it is folded.

A page loads, once, the rows its events touch that earlier pages wrote; each event's rule
(rules.py) then changes the page's rows through the few moves below; writing.py writes
what is left in a dozen statements. Every move checks the tenant: an event of one tenant
never reaches another tenant's row, whatever ids it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection, sql

from shared.events.catalog import EVENT_AGGREGATES
from shared.stored_events.decoding import Id, Stored

Row = dict[str, Any]
Owned = tuple[Id, Id]
"""A row's id and its tenant: every delete names both."""

COLUMNS = {
    "projects": ("id", "tenant_id", "name", "description", "created_at", "updated_at", "version"),
    "tasks": (
        "id",
        "tenant_id",
        "project_id",
        "title",
        "description",
        "status",
        "due_on",
        "assignee",
        "created_at",
        "updated_at",
        "version",
    ),
    "tags": ("id", "tenant_id", "name", "name_key", "color", "created_at", "updated_at", "version"),
}
_TABLES = {"project": "projects", "task": "tasks", "tag": "tags"}
_TABLE_OF_EVENT = {kind: _TABLES[aggregate] for kind, aggregate in EVENT_AGGREGATES.items()}
CREATIONS = frozenset({"ProjectCreated", "TaskCreated", "TagCreated"})


def _as_loaded(column: str) -> sql.Composable:
    """Ids come back as the fold's Id strings whatever the connection's loaders, and due
    dates as the events spell them."""
    if column in ("id", "tenant_id", "project_id", "due_on"):
        return sql.SQL("{}::text").format(sql.Identifier(column))
    return sql.Identifier(column)


@dataclass
class Page:
    rows: dict[str, dict[Id, Row]] = field(default_factory=lambda: {table: {} for table in COLUMNS})
    deleted: dict[str, set[Owned]] = field(
        default_factory=lambda: {table: set() for table in COLUMNS}
    )
    # Rows this page creates: no earlier page can hold them (ids are new), so they and
    # their tasks' links are copied straight in, without a merge.
    created: dict[str, set[Id]] = field(default_factory=lambda: {table: set() for table in COLUMNS})
    deleted_projects: set[Owned] = field(default_factory=set)
    deleted_tags: set[Owned] = field(default_factory=set)
    links: dict[tuple[Id, Id], Id] = field(default_factory=dict)
    unlinked: set[tuple[Id, Id, Id]] = field(default_factory=set)

    async def load(self, conn: AsyncConnection[tuple[Any, ...]], events: list[Stored]) -> None:
        """The rows these events touch that earlier pages wrote (a row created in this
        page cannot be in an earlier one)."""
        wanted: dict[str, set[Id]] = {table: set() for table in COLUMNS}
        created: set[Id] = set()
        for e in events:
            if e.type in CREATIONS:
                created.add(e.aggregate_id)
            elif e.aggregate_id not in created:
                wanted[_TABLE_OF_EVENT[e.type]].add(e.aggregate_id)
            project, tag = e.data.get("project_id"), e.data.get("tag_id")
            if project is not None and project not in created:
                wanted["projects"].add(project)
            if tag is not None and tag not in created:
                wanted["tags"].add(tag)
        for table, ids in wanted.items():
            if not ids:
                continue
            columns = COLUMNS[table]
            cur = await conn.execute(
                sql.SQL("SELECT {} FROM {} WHERE id = ANY(%s::uuid[])").format(
                    sql.SQL(", ").join(map(_as_loaded, columns)), sql.Identifier(table)
                ),
                (list(ids),),
            )
            for values in await cur.fetchall():
                row = dict(zip(columns, values, strict=True))
                self.rows[table][row["id"]] = row

    def live(self, table: str, row_id: Id, tenant_id: Id) -> Row | None:
        """The row, when it exists in this tenant (as far as the page knows)."""
        row = self.rows[table].get(row_id)
        if row is None or row["tenant_id"] != tenant_id:
            return None
        return row

    def create(self, table: str, e: Stored, values: Row) -> None:
        """A new row, unless its id is taken (a redelivered creation changes nothing)."""
        if e.aggregate_id in self.rows[table]:
            return
        row: Row = dict.fromkeys(COLUMNS[table])
        row |= values | {"id": e.aggregate_id, "tenant_id": e.tenant_id}
        row |= {"created_at": e.time, "updated_at": e.time, "version": e.version}
        self.rows[table][e.aggregate_id] = row
        self.created[table].add(e.aggregate_id)
        self.deleted[table].discard((e.aggregate_id, e.tenant_id))

    def update(self, table: str, e: Stored, changes: Row) -> None:
        """Changes a row, only by a newer version of its aggregate: an event handed over
        twice changes nothing the second time."""
        row = self.live(table, e.aggregate_id, e.tenant_id)
        if row is None or row["version"] >= e.version:
            return
        row |= changes | {"updated_at": e.time, "version": e.version}

    def link(self, task_id: Id, tag_id: Id, tenant_id: Id) -> None:
        self.links[task_id, tag_id] = tenant_id
        self.unlinked.discard((task_id, tag_id, tenant_id))

    def unlink(self, task_id: Id, tag_id: Id, tenant_id: Id) -> None:
        if self.links.get((task_id, tag_id)) == tenant_id:
            del self.links[task_id, tag_id]
        self.unlinked.add((task_id, tag_id, tenant_id))

    def delete_task(self, task_id: Id, tenant_id: Id) -> None:
        """The task and its links."""
        row = self.rows["tasks"].get(task_id)
        if row is not None and row["tenant_id"] != tenant_id:
            return
        self.rows["tasks"].pop(task_id, None)
        self.deleted["tasks"].add((task_id, tenant_id))
        for key in [k for k, n in self.links.items() if k[0] == task_id and n == tenant_id]:
            del self.links[key]

    def delete_project(self, project_id: Id, tenant_id: Id) -> None:
        """The project and its tasks (those the page holds now; writing.py deletes the
        rest by project)."""
        for task in [t for t in self.rows["tasks"].values() if t["project_id"] == project_id]:
            if task["tenant_id"] == tenant_id:
                self.delete_task(task["id"], tenant_id)
        self._drop("projects", project_id, tenant_id)
        self.deleted_projects.add((project_id, tenant_id))

    def delete_tag(self, tag_id: Id, tenant_id: Id) -> None:
        """The tag and every link to it."""
        for key in [k for k, n in self.links.items() if k[1] == tag_id and n == tenant_id]:
            del self.links[key]
        self._drop("tags", tag_id, tenant_id)
        self.deleted_tags.add((tag_id, tenant_id))

    def _drop(self, table: str, row_id: Id, tenant_id: Id) -> None:
        row = self.rows[table].get(row_id)
        if row is not None and row["tenant_id"] == tenant_id:
            del self.rows[table][row_id]
        self.deleted[table].add((row_id, tenant_id))

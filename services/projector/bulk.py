"""Applying events at bulk speed: a batch folded in memory, then written in bulk.

Both the live projector and a rebuild apply events this way. The batch's events are
folded into the rows they touch (loaded once per batch), then the net effect is
written with one insert (COPY for many rows) and one merge per table, a dozen
statements whatever the number of events. Counts are recomputed from the rows: at
the end of a rebuild, or for the projects and tags a live batch touched
(affected.py). The rules mirror `handlers.py`, which the live projector falls back
to when a batch holds an event the read tables refuse; tests hold the handlers' rows
equal to the fold's, and a rebuild equal to the live projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from psycopg import sql

from services.projector import bulk_writes
from services.projector.bulk_writes import (
    DELETE_PROJECTS_TASKS,
    INSERT_LIMIT,
    LINK_COLUMNS,
    UNLINK,
    UNLINK_PROJECTS_TASKS,
    UNLINK_TAGS,
    UNLINK_TASKS,
    Conn,
    Owned,
    owned_columns,
)
from shared.stored_events.decoding import Id, Stored
from shared.tag_names import name_key

Row = dict[str, Any]

COLUMNS = {
    "projects": ("id", "tenant_id", "name", "description", "created_at", "updated_at", "version"),
    "tasks": (
        "id",
        "tenant_id",
        "project_id",
        "title",
        "description",
        "status",
        "created_at",
        "updated_at",
        "version",
    ),
    "tags": ("id", "tenant_id", "name", "name_key", "color", "created_at", "updated_at", "version"),
}
_FIELDS = {
    "ProjectRenamed": ("projects", "name"),
    "ProjectDescriptionChanged": ("projects", "description"),
    "TaskRenamed": ("tasks", "title"),
    "TaskDescriptionChanged": ("tasks", "description"),
    "TaskStatusChanged": ("tasks", "status"),
    "TagRenamed": ("tags", "name"),
    "TagRecolored": ("tags", "color"),
}
_CREATED = {"ProjectCreated": "projects", "TaskCreated": "tasks", "TagCreated": "tags"}


def _as_loaded(column: str) -> sql.Composable:
    """Ids come back as the fold's Id strings whatever the connection's loaders."""
    if column in ("id", "tenant_id", "project_id"):
        return sql.SQL("{}::text").format(sql.Identifier(column))
    return sql.Identifier(column)


@dataclass
class Page:
    """The net effect of a page of events on the read tables."""

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

    async def load(self, conn: Conn, events: list[Stored]) -> None:
        """The rows this page's events touch that earlier pages wrote (a row created in
        this page cannot be in an earlier one)."""
        wanted: dict[str, set[Id]] = {table: set() for table in COLUMNS}
        created: set[Id] = set()
        for e in events:
            if e.type in _CREATED:
                created.add(e.aggregate_id)
            elif e.aggregate_id not in created:
                wanted[_table_of(e.type)].add(e.aggregate_id)
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

    def fold(self, e: Stored) -> None:
        if e.type in _CREATED:
            self._create(e)
        elif e.type == "TagRenamed":
            name = e.data.get("name")
            self._update("tags", e, {"name": name, "name_key": _key(name)})
        elif e.type in _FIELDS:
            table, column = _FIELDS[e.type]
            self._update(table, e, {column: e.data.get(column)})
        elif e.type == "TaskMoved":
            self._update("tasks", e, {"project_id": e.data["project_id"]})
        elif e.type in ("TaskTagged", "TaskUntagged"):
            self._tagging(e)
        elif e.type == "TaskDeleted":
            self._delete_task(e.aggregate_id, e.tenant_id)
        elif e.type == "ProjectDeleted":
            self._delete_project(e)
        elif e.type == "TagDeleted":
            self._delete_tag(e)
        else:
            raise ValueError(f"no bulk rule for {e.type}")

    def _create(self, e: Stored) -> None:
        table = _CREATED[e.type]
        if e.aggregate_id in self.rows[table]:
            return
        if table == "tasks":
            project = self._live("projects", e.data["project_id"], e.tenant_id)
            if project is None:
                return
        row: Row = {"id": e.aggregate_id, "tenant_id": e.tenant_id}
        row |= {c: e.data.get(c) for c in COLUMNS[table] if c in e.data and c != "id"}
        row |= {"created_at": e.time, "updated_at": e.time, "version": e.version}
        if table == "tags":
            row["name_key"] = _key(row.get("name"))
        for column in COLUMNS[table]:
            row.setdefault(column, None)
        self.rows[table][e.aggregate_id] = row
        self.created[table].add(e.aggregate_id)
        self.deleted[table].discard((e.aggregate_id, e.tenant_id))

    def _update(self, table: str, e: Stored, changes: Row) -> None:
        row = self._live(table, e.aggregate_id, e.tenant_id)
        if row is None or row["version"] >= e.version:
            return
        row |= changes | {"updated_at": e.time, "version": e.version}

    def _tagging(self, e: Stored) -> None:
        task = self._live("tasks", e.aggregate_id, e.tenant_id)
        tag_id = e.data["tag_id"]
        key = (e.aggregate_id, tag_id)
        if e.type == "TaskTagged":
            tag = self._live("tags", tag_id, e.tenant_id)
            if task is not None and tag is not None:
                self.links[key] = e.tenant_id
                self.unlinked.discard((*key, e.tenant_id))
        else:
            if self.links.get(key) == e.tenant_id:
                del self.links[key]
            self.unlinked.add((*key, e.tenant_id))
        if task is not None and task["version"] < e.version:
            task |= {"updated_at": e.time, "version": e.version}

    def _delete_task(self, task_id: Id, tenant_id: Id) -> None:
        row = self.rows["tasks"].get(task_id)
        if row is not None and row["tenant_id"] != tenant_id:
            return
        self.rows["tasks"].pop(task_id, None)
        self.deleted["tasks"].add((task_id, tenant_id))
        for key in [k for k, n in self.links.items() if k[0] == task_id and n == tenant_id]:
            del self.links[key]

    def _delete_project(self, e: Stored) -> None:
        for task in [t for t in self.rows["tasks"].values() if t["project_id"] == e.aggregate_id]:
            if task["tenant_id"] == e.tenant_id:
                self._delete_task(task["id"], e.tenant_id)
        self._drop("projects", e)
        self.deleted_projects.add((e.aggregate_id, e.tenant_id))

    def _delete_tag(self, e: Stored) -> None:
        tag = e.aggregate_id
        for key in [k for k, n in self.links.items() if k[1] == tag and n == e.tenant_id]:
            del self.links[key]
        self._drop("tags", e)
        self.deleted_tags.add((tag, e.tenant_id))

    def _drop(self, table: str, e: Stored) -> None:
        row = self.rows[table].get(e.aggregate_id)
        if row is not None and row["tenant_id"] == e.tenant_id:
            del self.rows[table][e.aggregate_id]
        self.deleted[table].add((e.aggregate_id, e.tenant_id))

    def _live(self, table: str, row_id: Id, tenant_id: Id) -> Row | None:
        row = self.rows[table].get(row_id)
        if row is None or row["tenant_id"] != tenant_id:
            return None
        return row

    async def write(self, conn: Conn) -> None:
        """Deletes first (rows, then by project and tag), then the page's rows and links.
        Every delete names the tenant with the id: an event of one tenant never removes
        another's rows, whatever ids it names."""
        if self.deleted_tags:
            await conn.execute(UNLINK_TAGS, owned_columns(self.deleted_tags))
        if self.deleted_projects:
            # Tasks this page moved out of a deleted project live on: keep them.
            owned, kept = owned_columns(self.deleted_projects), list(self.rows["tasks"])
            await conn.execute(UNLINK_PROJECTS_TASKS, (*owned, kept))
            await conn.execute(DELETE_PROJECTS_TASKS, (*owned, kept))
        for table, gone in self.deleted.items():
            if gone:
                if table == "tasks":
                    await conn.execute(UNLINK_TASKS, owned_columns(gone))
                await conn.execute(
                    sql.SQL(
                        "DELETE FROM {} r USING unnest(%s::uuid[], %s::uuid[]) AS o(id, tenant_id)"
                        " WHERE r.id = o.id AND r.tenant_id = o.tenant_id"
                    ).format(sql.Identifier(table)),
                    owned_columns(gone),
                )
        if self.unlinked:
            await conn.execute(UNLINK, tuple(map(list, zip(*self.unlinked, strict=True))))
        for table, rows in self.rows.items():
            values = itemgetter(*COLUMNS[table])
            known = [
                values(row) for row_id, row in rows.items() if row_id not in self.created[table]
            ]
            await bulk_writes.add(conn, table, COLUMNS[table], self._fresh(table))
            if known:
                await bulk_writes.copy_merge(conn, table, COLUMNS[table], known, "id")
        await bulk_writes.add(conn, "task_tags", LINK_COLUMNS, self._fresh_links())
        known_links = [
            (t, g, n) for (t, g), n in self.links.items() if t not in self.created["tasks"]
        ]
        if known_links:
            await bulk_writes.copy_merge(
                conn, "task_tags", LINK_COLUMNS, known_links, "task_id, tag_id"
            )

    def additions(self) -> list[sql.Composable] | None:
        """The whole write as statements that need no round trip of their own, when this
        page only adds rows, few enough for one INSERT per table; else None. The live
        projector then sends them with its COMMIT: a batch of creates in two messages."""
        if (
            any(self.deleted.values())
            or self.deleted_projects
            or self.deleted_tags
            or self.unlinked
            or any(len(rows) != len(self.created[table]) for table, rows in self.rows.items())
            or any(t not in self.created["tasks"] for t, _ in self.links)
        ):
            return None
        additions = [(table, COLUMNS[table], self._fresh(table)) for table in COLUMNS]
        additions.append(("task_tags", LINK_COLUMNS, self._fresh_links()))
        if any(len(rows) > INSERT_LIMIT for _, _, rows in additions):
            return None
        return [
            bulk_writes.insert(table, columns, rows) for table, columns, rows in additions if rows
        ]

    def _fresh(self, table: str) -> list[tuple[Any, ...]]:
        values = itemgetter(*COLUMNS[table])
        created = self.created[table]
        return [values(row) for row_id, row in self.rows[table].items() if row_id in created]

    def _fresh_links(self) -> list[tuple[Any, ...]]:
        new_tasks = self.created["tasks"]
        return [(t, g, n) for (t, g), n in self.links.items() if t in new_tasks]


def _key(name: str | None) -> str | None:
    return None if name is None else name_key(name)


def _table_of(event_type: str) -> str:
    if event_type.startswith("Project"):
        return "projects"
    if event_type.startswith("Task"):
        return "tasks"
    return "tags"

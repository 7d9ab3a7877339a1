"""Applying events at bulk speed: a batch folded in memory, then written in bulk.

Both the live projector and a rebuild apply events this way. The batch's events are
folded into the rows they touch (loaded once per batch), then the net effect is
written with one insert (COPY for many rows) and one merge per table, a dozen
statements whatever the number of events. Counts are recomputed from the rows: at
the end of a rebuild, or for the projects and tags a live batch touched
(affected.py). The rules mirror `handlers.py`, which the live projector falls back
to when a batch holds an event it cannot apply; tests hold the handlers' rows equal
to the fold's, and a rebuild equal to the live projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
from psycopg import AsyncConnection, sql
from psycopg.types.string import TextLoader

from shared.events import CANONICAL_UUID, EVENT_AGGREGATES, SOURCE, SPEC_VERSION

Id = str
Row = dict[str, Any]
Conn = AsyncConnection[tuple[Any, ...]]

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
    "tags": ("id", "tenant_id", "name", "color", "created_at", "updated_at", "version"),
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


@dataclass(slots=True)
class Stored:
    """One stored event, decoded just enough to fold it. Ids are canonical Id strings
    and times ISO strings: making objects of them cost more than all the rest, and
    PostgreSQL parses both when they are written (see `text_uuids`)."""

    type: str
    aggregate_id: Id
    version: int
    tenant_id: Id
    time: str
    data: dict[str, Any]


# PostgreSQL takes the stored JSON apart (on its own core, while this process folds the
# previous page): decoding it here was a third of the rebuild's time. Ids arrive as
# canonical strings (`text_uuids`), the type is the topic's last part, then the payload
# fields the fold reads (absent and null mean the same to it).
EVENT_COLUMNS = sql.SQL(
    "notification_id, originator_id, originator_version, substring(topic from '[^.]*$'),"
    " (j #>> '{{tenant_id,_data_}}')::uuid, j #>> '{{timestamp,_data_}}',"
    " (j #>> '{{project_id,_data_}}')::uuid, (j #>> '{{tag_id,_data_}}')::uuid,"
    " j ->> 'name', j ->> 'description', j ->> 'title', j ->> 'status', j ->> 'color'"
)
# What EVENT_COLUMNS needs after the events table `e`: the JSON parsed once per row
# (OFFSET 0 keeps PostgreSQL from inlining it into every column, parsing it nine times).
EVENT_JSON = sql.SQL(
    "CROSS JOIN LATERAL (SELECT convert_from(e.state, 'UTF8')::jsonb AS j OFFSET 0) s"
)


def from_row(row: tuple[Any, ...]) -> Stored:
    """A row of EVENT_COLUMNS as a Stored event. Spelled out: it runs once per event,
    and this form costs a fifth of `dict(zip(...))` with keyword arguments."""
    data = {
        "project_id": row[6],
        "tag_id": row[7],
        "name": row[8],
        "description": row[9],
        "title": row[10],
        "status": row[11],
        "color": row[12],
    }
    return Stored(row[3], row[1], row[2], row[4], row[5], data)


def from_cloudevent(payload: bytes) -> tuple[int, Stored]:
    """A published event's position, and the event as the fold takes it. Strict and
    lean (no UUID objects: they cost more than the rest of the batch): ids must be
    spelled canonically. Anything else raises, and the projector then applies the
    batch through the handlers, which read every valid envelope (EventEnvelope)."""
    event = orjson.loads(payload)
    if event["specversion"] != SPEC_VERSION or event["source"] != SOURCE:
        raise ValueError("not a taskstream CloudEvent 1.0")
    kind, data, position = event["type"], event["data"], event["position"]
    version, tenant, aggregate = event["aggregateversion"], event["tenantid"], event["aggregateid"]
    if kind not in EVENT_AGGREGATES or not isinstance(data, dict):
        raise ValueError("unknown event type or data not an object")
    if not (isinstance(position, int) and isinstance(version, int)):
        raise ValueError("position and aggregateversion must be integers")
    for value in (tenant, aggregate, data.get("project_id"), data.get("tag_id")):
        if value is not None and not (isinstance(value, str) and CANONICAL_UUID.match(value)):
            raise ValueError(f"not a canonical UUID: {value!r}")
    return position, Stored(kind, aggregate, version, tenant, str(event["time"]), data)


def _as_loaded(column: str) -> sql.Composable:
    """Ids come back as the fold's Id strings whatever the connection's loaders."""
    if column in ("id", "tenant_id", "project_id"):
        return sql.SQL("{}::text").format(sql.Identifier(column))
    return sql.Identifier(column)


def text_uuids(conn: Conn) -> None:
    """Makes `conn` return uuid columns as canonical strings, the form `from_row` gives."""
    conn.adapters.register_loader("uuid", TextLoader)


@dataclass
class Page:
    """The net effect of a page of events on the read tables."""

    rows: dict[str, dict[Id, Row]] = field(default_factory=lambda: {table: {} for table in COLUMNS})
    deleted: dict[str, set[Id]] = field(default_factory=lambda: {table: set() for table in COLUMNS})
    # Rows this page creates: no earlier page can hold them (ids are new), so they and
    # their tasks' links are copied straight in, without a merge.
    created: dict[str, set[Id]] = field(default_factory=lambda: {table: set() for table in COLUMNS})
    deleted_projects: set[Id] = field(default_factory=set)
    deleted_tags: set[Id] = field(default_factory=set)
    links: dict[tuple[Id, Id], Id] = field(default_factory=dict)
    unlinked: set[tuple[Id, Id]] = field(default_factory=set)

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
        for column in COLUMNS[table]:
            row.setdefault(column, None)
        self.rows[table][e.aggregate_id] = row
        self.created[table].add(e.aggregate_id)
        self.deleted[table].discard(e.aggregate_id)

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
                self.unlinked.discard(key)
        else:
            self.links.pop(key, None)
            self.unlinked.add(key)
        if task is not None and task["version"] < e.version:
            task |= {"updated_at": e.time, "version": e.version}

    def _delete_task(self, task_id: Id, tenant_id: Id) -> None:
        row = self.rows["tasks"].get(task_id)
        if row is not None and row["tenant_id"] != tenant_id:
            return
        self.rows["tasks"].pop(task_id, None)
        self.deleted["tasks"].add(task_id)
        for key in [k for k in self.links if k[0] == task_id]:
            del self.links[key]

    def _delete_project(self, e: Stored) -> None:
        for task in [t for t in self.rows["tasks"].values() if t["project_id"] == e.aggregate_id]:
            if task["tenant_id"] == e.tenant_id:
                self._delete_task(task["id"], e.tenant_id)
        self._drop("projects", e)
        self.deleted_projects.add(e.aggregate_id)

    def _delete_tag(self, e: Stored) -> None:
        for key in [k for k in self.links if k[1] == e.aggregate_id]:
            del self.links[key]
        self._drop("tags", e)
        self.deleted_tags.add(e.aggregate_id)

    def _drop(self, table: str, e: Stored) -> None:
        row = self.rows[table].get(e.aggregate_id)
        if row is not None and row["tenant_id"] == e.tenant_id:
            del self.rows[table][e.aggregate_id]
        self.deleted[table].add(e.aggregate_id)

    def _live(self, table: str, row_id: Id, tenant_id: Id) -> Row | None:
        row = self.rows[table].get(row_id)
        if row is None or row["tenant_id"] != tenant_id:
            return None
        return row

    async def write(self, conn: Conn) -> None:
        """Deletes first (rows, then by project and tag), then the page's rows and links."""
        if self.deleted_tags:
            await conn.execute(
                "DELETE FROM task_tags WHERE tag_id = ANY(%s::uuid[])", (list(self.deleted_tags),)
            )
        if self.deleted_projects:
            # Tasks this page moved out of a deleted project live on: keep them.
            projects, kept = list(self.deleted_projects), list(self.rows["tasks"])
            await conn.execute(
                "DELETE FROM task_tags WHERE task_id IN (SELECT id FROM tasks"
                " WHERE project_id = ANY(%s::uuid[]) AND id <> ALL(%s::uuid[]))",
                (projects, kept),
            )
            await conn.execute(
                "DELETE FROM tasks WHERE project_id = ANY(%s::uuid[]) AND id <> ALL(%s::uuid[])",
                (projects, kept),
            )
        for table, ids in self.deleted.items():
            if ids:
                if table == "tasks":
                    await conn.execute(
                        "DELETE FROM task_tags WHERE task_id = ANY(%s::uuid[])", (list(ids),)
                    )
                await conn.execute(
                    sql.SQL("DELETE FROM {} WHERE id = ANY(%s::uuid[])").format(
                        sql.Identifier(table)
                    ),
                    (list(ids),),
                )
        if self.unlinked:
            await conn.execute(
                "DELETE FROM task_tags t USING unnest(%s::uuid[], %s::uuid[]) AS u(task_id, tag_id)"
                " WHERE t.task_id = u.task_id AND t.tag_id = u.tag_id",
                ([k[0] for k in self.unlinked], [k[1] for k in self.unlinked]),
            )
        for table, rows in self.rows.items():
            values = itemgetter(*COLUMNS[table])
            known = [
                values(row) for row_id, row in rows.items() if row_id not in self.created[table]
            ]
            await _add(conn, table, COLUMNS[table], self._fresh(table))
            if known:
                await _copy_merge(conn, table, COLUMNS[table], known, "id")
        await _add(conn, "task_tags", _LINK_COLUMNS, self._fresh_links())
        known_links = [
            (t, g, n) for (t, g), n in self.links.items() if t not in self.created["tasks"]
        ]
        if known_links:
            await _copy_merge(conn, "task_tags", _LINK_COLUMNS, known_links, "task_id, tag_id")

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
        additions.append(("task_tags", _LINK_COLUMNS, self._fresh_links()))
        if any(len(rows) > INSERT_LIMIT for _, _, rows in additions):
            return None
        return [_insert(table, columns, rows) for table, columns, rows in additions if rows]

    def _fresh(self, table: str) -> list[tuple[Any, ...]]:
        values = itemgetter(*COLUMNS[table])
        created = self.created[table]
        return [values(row) for row_id, row in self.rows[table].items() if row_id in created]

    def _fresh_links(self) -> list[tuple[Any, ...]]:
        new_tasks = self.created["tasks"]
        return [(t, g, n) for (t, g), n in self.links.items() if t in new_tasks]


def _table_of(event_type: str) -> str:
    if event_type.startswith("Project"):
        return "projects"
    if event_type.startswith("Task"):
        return "tasks"
    return "tags"


_LINK_COLUMNS = ("task_id", "tag_id", "tenant_id")
# Tables whose rows' JSON is kept by the query service, by revision.
_KEPT_AS_JSON = frozenset({"tasks"})


# Up to this many rows, a table's new rows go in one INSERT, one message, where COPY
# takes two round trips; past it (a rebuild's pages) COPY is cheaper per row.
INSERT_LIMIT = 500


async def _add(
    conn: Conn, table: str, columns: tuple[str, ...], values: list[tuple[Any, ...]]
) -> None:
    """Rows no earlier page can hold (their ids are new), written without a merge."""
    if len(values) > INSERT_LIMIT:
        await _copy(conn, sql.Identifier(table), columns, values)
    elif values:
        await conn.execute(_insert(table, columns, values))


def _insert(table: str, columns: tuple[str, ...], values: list[tuple[Any, ...]]) -> sql.Composed:
    """The rows inline, as JSON that PostgreSQL reads by the table's own row type, so the
    statement can share a message with others (no parameters)."""
    rows = orjson.dumps([dict(zip(columns, row, strict=True)) for row in values]).decode()
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    return sql.SQL(
        "INSERT INTO {table} ({columns}) SELECT {columns}"
        " FROM json_populate_recordset(NULL::{table}, {rows}::json)"
    ).format(table=sql.Identifier(table), columns=column_list, rows=sql.Literal(rows))


async def _copy(
    conn: Conn, target: sql.Composable, columns: tuple[str, ...], values: list[tuple[Any, ...]]
) -> None:
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    async with (
        conn.cursor() as cur,
        cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, column_list)) as copy,
    ):
        for row in values:
            await copy.write_row(row)


async def _copy_merge(
    conn: Conn, table: str, columns: tuple[str, ...], values: list[tuple[Any, ...]], key: str
) -> None:
    """COPY into a temporary table, then one upsert into the real one."""
    staging = f"staging_{table}"
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    await conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        ).format(sql.Identifier(staging), sql.Identifier(table))
    )
    await _copy(conn, sql.Identifier(staging), columns, values)
    updates = [
        sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c))
        for c in columns
        if c not in key.split(", ")
    ]
    if table in _KEPT_AS_JSON:
        # A rewritten row's kept JSON is stale (affected.py); a new row has none yet.
        updates.append(sql.SQL("revision = {}.revision + 1").format(sql.Identifier(table)))
    conflict = (
        sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(updates))
        if updates and table != "task_tags"
        else sql.SQL("DO NOTHING")
    )
    await conn.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) {}").format(
            sql.Identifier(table),
            column_list,
            column_list,
            sql.Identifier(staging),
            sql.SQL(key),
            conflict,
        )
    )


async def recount(conn: Conn) -> None:
    """Counts as the live handlers keep them: tasks per project, links per tag."""
    await conn.execute(
        "UPDATE projects p SET task_count = c.n FROM (SELECT q.id, count(t.id) AS n"
        " FROM projects q LEFT JOIN tasks t ON t.project_id = q.id GROUP BY q.id) c"
        " WHERE p.id = c.id AND p.task_count <> c.n"
    )
    await conn.execute(
        "UPDATE tags g SET task_count = c.n FROM (SELECT h.id, count(tt.task_id) AS n"
        " FROM tags h LEFT JOIN task_tags tt ON tt.tag_id = h.id GROUP BY h.id) c"
        " WHERE g.id = c.id AND g.task_count <> c.n"
    )

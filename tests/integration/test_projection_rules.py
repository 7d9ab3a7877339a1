"""Each event type's rule, applied through the projection store to real tables: in a
batch, and one event at a time (the fallback, the same rules)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from services.projector.intake.incoming import Incoming
from services.projector.store import ProjectionStore
from services.projector.tracking import Tracking
from shared.database import DatabaseAddress
from shared.event_ids import event_id_text
from shared.events.catalog import EVENT_AGGREGATES
from shared.events.envelope import EventEnvelope
from shared.projection_notice import CHANNEL, ProjectionNotice
from tests.stored import store_events

TENANT = uuid4()
T0 = datetime(2026, 3, 1, tzinfo=UTC)
Apply = Callable[..., Awaitable[None]]
Rows = Callable[[str], Awaitable[list[tuple[Any, ...]]]]


class Log:
    """Builds envelopes with increasing positions and per-aggregate versions."""

    def __init__(self) -> None:
        self.positions = itertools.count(1)
        self.versions: dict[UUID, int] = {}

    def event(self, kind: str, aggregate_id: UUID, **data: Any) -> EventEnvelope:
        version = self.versions.get(aggregate_id, 0) + 1
        self.versions[aggregate_id] = version
        position = next(self.positions)
        key = f"{EVENT_AGGREGATES[kind]}_id"
        return EventEnvelope(
            id=UUID(event_id_text(str(aggregate_id), version)),
            type=kind,
            tenant_id=TENANT,
            position=position,
            aggregate_id=aggregate_id,
            aggregate_version=version,
            time=T0 + timedelta(seconds=position),
            actor="tester",
            data={key: str(aggregate_id), **{k: _plain(v) for k, v in data.items()}},
        )


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[psycopg.AsyncConnection[tuple[Any, ...]]]:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as connection:
        yield connection


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture(params=["batch", "one by one"])
def apply(
    database_url: str,
    conn: psycopg.AsyncConnection[tuple[Any, ...]],
    request: pytest.FixtureRequest,
) -> Apply:
    """Both ways the projector applies a batch: folded and written whole, and one
    message at a time (its fallback), by the same rules. The events are recorded in
    the store first (the projector applies only what it holds), unless `unrecorded`."""
    store = ProjectionStore(conn)
    tracking = [Tracking(0, 0)]
    way = store.apply if request.param == "batch" else store.apply_one_by_one

    async def apply_events(*events: EventEnvelope, unrecorded: bool = False) -> None:
        if not unrecorded:
            store_events(database_url, *events)
        before = store.dead_lettered
        sequence = tracking[0].stream_sequence
        batch = [
            Incoming(n, e.subject, e.to_bytes(), {"Nats-Msg-Id": str(e.id)})
            for n, e in enumerate(events, start=sequence + 1)
        ]
        tracking[0] = await way(batch, tracking[0])
        assert store.dead_lettered - before == (len(events) if unrecorded else 0)

    return apply_events


@pytest.fixture
def rows(conn: psycopg.AsyncConnection[tuple[Any, ...]]) -> Rows:
    async def select(statement: str) -> list[tuple[Any, ...]]:
        cur = await conn.execute(statement)
        found = await cur.fetchall()
        await conn.commit()
        return found

    return select


async def world(log: Log, apply: Apply) -> dict[str, UUID]:
    """Two projects, two tags, one task in the first project carrying the first tag."""
    ids = {name: uuid4() for name in ("p1", "p2", "g1", "g2", "t1")}
    await apply(
        log.event("ProjectCreated", ids["p1"], name="one", description=None),
        log.event("ProjectCreated", ids["p2"], name="two", description="second"),
        log.event("TagCreated", ids["g1"], name="Bug", color="#ff0000"),
        log.event("TagCreated", ids["g2"], name="UX", color=None),
        log.event(
            "TaskCreated",
            ids["t1"],
            project_id=ids["p1"],
            title="Fix",
            description=None,
            status="pending",
        ),
        log.event("TaskTagged", ids["t1"], tag_id=ids["g1"]),
    )
    return ids


async def test_created_events_make_rows_with_counts(log: Log, apply: Apply, rows: Rows) -> None:
    ids = await world(log, apply)
    assert await rows("SELECT name, description, task_count FROM projects ORDER BY name") == [
        ("one", None, 1),
        ("two", "second", 0),
    ]
    assert await rows("SELECT title, status, version FROM tasks") == [("Fix", "pending", 2)]
    assert await rows("SELECT name, color, task_count FROM tags ORDER BY name") == [
        ("Bug", "#ff0000", 1),
        ("UX", None, 0),
    ]
    assert await rows("SELECT task_id, tag_id FROM task_tags") == [(ids["t1"], ids["g1"])]


async def test_a_batch_of_new_projects_and_tags_alone(
    log: Log, apply: Apply, rows: Rows, conn: psycopg.AsyncConnection[tuple[Any, ...]]
) -> None:
    """The bulk path sends such a batch's rows with its COMMIT, spelled inline: quotes,
    backslashes and times must arrive as they left, and the notice must name the projects."""
    project, tag = uuid4(), uuid4()
    name = 'it\'s a \\ "quoted" name; DROP TABLE projects'
    await conn.execute(f"LISTEN {CHANNEL}")
    await apply(
        log.event("ProjectCreated", project, name=name, description="ünïcode ✓"),
        log.event("TagCreated", tag, name="O'Brien", color="#00ff00"),
    )
    assert await rows(
        "SELECT id, name, description, task_count, version, created_at FROM projects"
    ) == [(project, name, "ünïcode ✓", 0, 1, T0 + timedelta(seconds=1))]
    assert await rows("SELECT id, name, color, task_count FROM tags") == [
        (tag, "O'Brien", "#00ff00", 0)
    ]
    notify = await anext(conn.notifies(timeout=5.0, stop_after=1))
    notice = ProjectionNotice.parse(notify.payload)
    assert notice.position == 2
    assert notice.touches(str(TENANT), str(project))


async def test_project_renamed_and_description_changed(log: Log, apply: Apply, rows: Rows) -> None:
    ids = await world(log, apply)
    await apply(
        log.event("ProjectRenamed", ids["p1"], name="uno"),
        log.event("ProjectDescriptionChanged", ids["p1"], description="first"),
    )
    assert await rows("SELECT name, description, version FROM projects ORDER BY name") == [
        ("two", "second", 1),
        ("uno", "first", 3),
    ]


async def test_task_field_events(log: Log, apply: Apply, rows: Rows) -> None:
    ids = await world(log, apply)
    await apply(
        log.event("TaskRenamed", ids["t1"], title="Fix it"),
        log.event("TaskDescriptionChanged", ids["t1"], description="now"),
        log.event("TaskStatusChanged", ids["t1"], status="done", previous_status="pending"),
    )
    assert await rows("SELECT title, description, status, version FROM tasks") == [
        ("Fix it", "now", "done", 5)
    ]


async def test_due_dates_and_assignees_are_set_changed_and_cleared(
    log: Log, apply: Apply, rows: Rows
) -> None:
    ids = await world(log, apply)
    task, project = uuid4(), ids["p1"]
    await apply(
        log.event(
            "TaskCreated",
            task,
            project_id=project,
            title="Plan",
            description=None,
            status="pending",
            due_on="2026-03-14",
            assignee="sam",
        ),
        log.event("TaskDueDateChanged", ids["t1"], due_on="2026-04-01"),
        log.event("TaskAssigneeChanged", ids["t1"], assignee="kim"),
    )
    select = "SELECT title, due_on::text, assignee FROM tasks ORDER BY title"
    assert await rows(select) == [("Fix", "2026-04-01", "kim"), ("Plan", "2026-03-14", "sam")]
    await apply(
        log.event("TaskDueDateChanged", ids["t1"], due_on=None),
        log.event("TaskAssigneeChanged", task, assignee=None),
        log.event("TaskDueDateChanged", task, due_on="2026-03-15"),
    )
    assert await rows(select) == [("Fix", None, "kim"), ("Plan", "2026-03-15", None)]


async def test_task_moved_moves_the_count(log: Log, apply: Apply, rows: Rows) -> None:
    ids = await world(log, apply)
    await apply(
        log.event("TaskMoved", ids["t1"], project_id=ids["p2"], previous_project_id=ids["p1"])
    )
    assert await rows("SELECT project_id FROM tasks") == [(ids["p2"],)]
    assert await rows("SELECT name, task_count FROM projects ORDER BY name") == [
        ("one", 0),
        ("two", 1),
    ]


async def test_tagging_and_untagging_keep_tag_counts(log: Log, apply: Apply, rows: Rows) -> None:
    ids = await world(log, apply)
    await apply(
        log.event("TaskTagged", ids["t1"], tag_id=ids["g2"]),
        log.event("TaskUntagged", ids["t1"], tag_id=ids["g1"]),
    )
    assert await rows("SELECT tag_id FROM task_tags") == [(ids["g2"],)]
    assert await rows("SELECT name, task_count FROM tags ORDER BY name") == [
        ("Bug", 0),
        ("UX", 1),
    ]


async def test_task_deleted_takes_its_links_and_counts(log: Log, apply: Apply, rows: Rows) -> None:
    ids = await world(log, apply)
    await apply(log.event("TaskDeleted", ids["t1"], project_id=ids["p1"]))
    assert await rows("SELECT count(*) FROM tasks") == [(0,)]
    assert await rows("SELECT count(*) FROM task_tags") == [(0,)]
    assert await rows("SELECT sum(task_count) FROM projects") == [(0,)]
    assert await rows("SELECT sum(task_count) FROM tags") == [(0,)]


async def test_project_deleted_ends_its_tasks(log: Log, apply: Apply, rows: Rows) -> None:
    ids = await world(log, apply)
    await apply(log.event("ProjectDeleted", ids["p1"]))
    assert await rows("SELECT name FROM projects") == [("two",)]
    assert await rows("SELECT count(*) FROM tasks") == [(0,)]
    assert await rows("SELECT name, task_count FROM tags ORDER BY name") == [
        ("Bug", 0),
        ("UX", 0),
    ]


async def test_tag_events(log: Log, apply: Apply, rows: Rows) -> None:
    ids = await world(log, apply)
    await apply(
        log.event("TagRenamed", ids["g1"], name="Defect", previous_name="Bug"),
        log.event("TagRecolored", ids["g1"], color=None),
    )
    assert await rows("SELECT name, color, version FROM tags ORDER BY name") == [
        ("Defect", None, 3),
        ("UX", None, 1),
    ]
    await apply(log.event("TagDeleted", ids["g1"]))
    assert await rows("SELECT name FROM tags") == [("UX",)]
    assert await rows("SELECT count(*) FROM task_tags") == [(0,)]


async def test_an_older_version_arriving_later_is_set_aside(
    log: Log, apply: Apply, rows: Rows
) -> None:
    """The store cannot hold it (version 1 is the task's creation): it is a forgery."""
    ids = await world(log, apply)
    renamed = log.event("TaskRenamed", ids["t1"], title="new")
    older = EventEnvelope(**{**renamed.__dict__, "aggregate_version": 1, "position": 99})
    await apply(renamed)
    await apply(older, unrecorded=True)
    assert await rows("SELECT title, version FROM tasks") == [("new", 3)]

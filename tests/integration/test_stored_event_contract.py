"""Our decoding of stored events (shared/stored_events) against the library's own mapper.

decoding.py reads the library's private format, the stored JSON, in Python and in SQL.
These tests hold both forms to `Mapper.to_domain_event` (with the library's upcasters)
on events of every type and of every version the upcaster registry knows, including a
test-only one: same type, ids, version, tenant, time, actor and data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any
from uuid import UUID, uuid4

import orjson
import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from psycopg import sql

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context, TenantAggregate
from services.command.domain.project import Project
from services.command.domain.tag import Tag
from services.command.domain.task import Task
from services.command.publishing.relay import Relay
from services.command.use_cases.decision import UNSET
from shared.database import EVENTS_TABLE, DatabaseAddress
from shared.events.catalog import EVENT_AGGREGATES
from shared.stored_events.decoding import (
    EVENT_COLUMNS,
    EVENT_JSON,
    STATE_COLUMNS,
    Stored,
    decode,
    from_row,
    text_uuids,
)
from shared.stored_events.upcasting import UPCASTERS, Step
from shared.timestamps import rfc3339
from tests.stored import store_rows
from tests.support import check_against_schemas, eventually, running, stream_messages
from tests.workload import mixed_workload

LIBRARY = "9.5."
AGGREGATES: dict[str, type[TenantAggregate]] = {"project": Project, "task": Task, "tag": Tag}
_NOT_DATA = {"originator_id", "originator_version", "originator_topic", "timestamp"}
_NOT_DATA |= {"tenant_id", "actor"}


@pytest.fixture(autouse=True)
def _pinned_library() -> None:
    installed = version("eventsourcing")
    if not installed.startswith(LIBRARY):
        pytest.fail(
            f"eventsourcing {installed} is installed; shared/stored_events/decoding.py reads"
            f" the stored format of {LIBRARY}x. Check the format and the mapper's upcasting"
            " of the new version, then move this pin (and pyproject's)."
        )


def title_to_name(fields: dict[str, Any]) -> None:
    fields["name"] = fields.pop("title")


@pytest.fixture
def renamed_v2() -> Iterator[Step]:
    """A fake version 2 of ProjectRenamed: version 1 called the new name `title`."""
    UPCASTERS.register("ProjectRenamed", 1, example={"title": "renamed in v1"})(title_to_name)
    try:
        yield UPCASTERS.steps()[-1]
    finally:
        UPCASTERS.unregister("ProjectRenamed")


def past_row(app: TaskstreamApplication, step: Step, position: int) -> tuple[Any, ...]:
    """An event of `step`'s type stored as its version `step.from_version` was."""
    aggregate = AGGREGATES[EVENT_AGGREGATES[step.event_type]]
    cls = getattr(aggregate, step.event_type)
    state: dict[str, Any] = {"timestamp": datetime.now(UTC), "tenant_id": uuid4()}
    if issubclass(cls, TenantAggregate.Created):
        state["originator_topic"] = get_topic(aggregate)
    state |= {"actor": "past", **step.example}
    if step.from_version > 1:
        state["class_version"] = step.from_version
    return (uuid4(), 1, get_topic(cls), app.mapper.transcoder.encode(state), position)


def expected(app: TaskstreamApplication, row: tuple[Any, ...]) -> tuple[Stored, datetime]:
    """What the library's mapper makes of a stored row, spelled as `Stored`."""
    originator_id, originator_version, topic, state, _ = row
    event: Any = app.mapper.to_domain_event(
        StoredEvent(originator_id, originator_version, topic, bytes(state))
    )
    data = {k: _plain(v) for k, v in vars(event).items() if k not in _NOT_DATA}
    stored = Stored(
        type(event).__name__,
        str(event.originator_id),
        event.originator_version,
        str(event.tenant_id),
        "",
        data,
        event.actor,
    )
    return stored, event.timestamp


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


async def both_forms(database_url: str) -> list[tuple[tuple[Any, ...], Stored, Stored]]:
    """Each stored row, with its Python and its SQL decoding."""
    table = sql.Identifier(EVENTS_TABLE)
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    with psycopg.connect(conninfo) as conn:
        raw = conn.execute(
            sql.SQL("SELECT {} FROM {} ORDER BY notification_id").format(STATE_COLUMNS, table)
        ).fetchall()
    async with await psycopg.AsyncConnection.connect(conninfo) as aconn:
        text_uuids(aconn)
        cur = await aconn.execute(
            sql.SQL("SELECT {} FROM {} e {} ORDER BY notification_id").format(
                EVENT_COLUMNS, table, EVENT_JSON
            )
        )
        columns = await cur.fetchall()
    return [(r, decode(r), from_row(c)) for r, c in zip(raw, columns, strict=True)]


async def check_against_the_library(app: TaskstreamApplication, database_url: str) -> set[str]:
    """Every stored event decoded both ways as the library decodes it; the types seen."""
    seen = set()
    for row, python, in_sql in await both_forms(database_url):
        library, time = expected(app, row)
        for form in (python, in_sql):
            assert (form.type, form.aggregate_id, form.version, form.tenant_id, form.actor) == (
                library.type,
                library.aggregate_id,
                library.version,
                library.tenant_id,
                library.actor,
            )
            assert datetime.fromisoformat(form.time) == time
            assert "class_version" not in form.data
        assert python.data == library.data
        # The SQL form holds the fields the fold reads; absent and null alike.
        assert in_sql.data == {k: library.data.get(k) for k in in_sql.data}
        seen.add(library.type)
    return seen


async def test_every_event_type_decodes_as_the_library_decodes_it(
    app: TaskstreamApplication, database_url: str
) -> None:
    mixed_workload(app, [uuid4(), uuid4()], rounds=4)
    assert await check_against_the_library(app, database_url) == set(EVENT_AGGREGATES)


async def test_every_version_decodes_as_the_library_upcasts_it(
    app: TaskstreamApplication, database_url: str, renamed_v2: Step
) -> None:
    """Events recorded now (version 2, `class_version` in the state) and stored in every
    past shape that a registered upcaster upgrades (its example)."""
    last = mixed_workload(app, [uuid4()], rounds=4)
    steps = UPCASTERS.steps()
    assert renamed_v2 in steps
    store_rows(database_url, [past_row(app, s, last + n) for n, s in enumerate(steps, 1)])
    assert await check_against_the_library(app, database_url) == set(EVENT_AGGREGATES)


async def test_an_upcaster_reading_a_field_the_sql_form_lacks_is_caught(
    app: TaskstreamApplication, database_url: str
) -> None:
    """The SQL form hands upcasters only the columns it selects: one that reads another
    field fails here until the field is added to EVENT_COLUMNS."""
    step = UPCASTERS.register("ProjectRenamed", 1, example={"label": "not selected"})

    def label_to_name(fields: dict[str, Any]) -> None:
        fields["name"] = fields.pop("label")

    step(label_to_name)
    try:
        store_rows(database_url, [past_row(app, UPCASTERS.steps()[-1], 1)])
        with pytest.raises(KeyError, match="label"):
            await check_against_the_library(app, database_url)
    finally:
        UPCASTERS.unregister("ProjectRenamed")


async def test_an_event_in_a_past_shape_is_published_and_loaded_in_the_current_one(
    app: TaskstreamApplication, database_url: str, nats_url: str, renamed_v2: Step
) -> None:
    ctx = Context(uuid4(), "tester", datetime.now(UTC))
    project_id = uuid4()
    created = app.record(app.create_project(ctx, project_id, "created", None))
    state = {"timestamp": ctx.now, "tenant_id": ctx.tenant_id, "actor": "past", "title": "v1"}
    topic = get_topic(Project.ProjectRenamed)
    store_rows(
        database_url, [(project_id, 2, topic, app.mapper.transcoder.encode(state), created + 1)]
    )
    assert app.repository.get(project_id).name == "v1"
    last = app.record(app.update_project(ctx, project_id, None, "v2", UNSET))
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        row = conn.execute(
            sql.SQL("SELECT state FROM {} WHERE notification_id = %s").format(
                sql.Identifier(EVENTS_TABLE)
            ),
            (last,),
        ).fetchone()
    assert row is not None
    assert orjson.loads(row[0])["class_version"] == 2  # the library records it, we strip it

    relay = Relay(DatabaseAddress.parse(database_url).conninfo(), nats_url, "TASKSTREAM")
    async with running(relay):

        async def published() -> bool:
            return relay.published_position == last

        await eventually(published, what="every event published")
    messages = [orjson.loads(m.data) for m in await stream_messages(nats_url)]
    assert [m["data"] for m in messages[1:]] == [
        {"project_id": str(project_id), "name": "v1"},
        {"project_id": str(project_id), "name": "v2"},
    ]
    for message in messages:
        check_against_schemas(message)

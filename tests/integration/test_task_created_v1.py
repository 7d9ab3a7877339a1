"""A TaskCreated stored in its version-1 shape, as the library stored it before tasks had
due dates and assignees, read by every path that reads stored events: aggregate load,
the relay (what it publishes), republish and a rebuild. Each sees the current shape:
`due_on` and `assignee` null, and no `class_version`.

V1_STATE is the stored JSON as that code wrote it (tests/fixtures/store_before_due_dates.sql
holds such events), with its ids and time filled in.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
import psycopg

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.domain.task import Task
from services.command.publishing.relay import Relay
from services.command.publishing.republish import republish
from services.command.use_cases.tasks import TaskEdit
from services.projector.consumer import Projector
from services.projector.rebuild.run import rebuild
from shared.database import EVENTS_TABLE, DatabaseAddress
from tests.stored import store_rows
from tests.support import check_against_schemas, eventually, read_model, running, stream_messages

V1_TOPIC = "services.command.domain.task:Task.TaskCreated"
V1_STATE = (
    '{"timestamp":{"_type_":"datetime_iso","_data_":"%(time)s"},'
    '"originator_topic":"services.command.domain.task:Task",'
    '"tenant_id":{"_type_":"uuid_hex","_data_":"%(tenant)s"},"actor":"before",'
    '"project_id":{"_type_":"uuid_hex","_data_":"%(project)s"},'
    '"title":"written before due dates","description":null,"status":"pending"}'
)


def v1_task_created(tenant: UUID, project: UUID) -> bytes:
    time = datetime.now(UTC).isoformat(timespec="microseconds")
    return (V1_STATE % {"time": time, "tenant": tenant.hex, "project": project.hex}).encode()


def conninfo(database_url: str) -> str:
    return DatabaseAddress.parse(database_url).conninfo()


async def published_data(nats_url: str) -> list[dict[str, Any]]:
    messages = [orjson.loads(m.data) for m in await stream_messages(nats_url)]
    for message in messages:
        assert "class_version" not in message["data"], message
        check_against_schemas(message)
    return [m["data"] | {"type": m["type"]} for m in messages]


async def test_a_v1_task_created_is_read_in_the_current_shape_on_every_path(
    app: TaskstreamApplication, database_url: str, nats_url: str
) -> None:
    ctx = Context(uuid4(), "tester", datetime.now(UTC))
    project_id, task_id = uuid4(), uuid4()
    created = app.record(app.create_project(ctx, project_id, "before", None))
    old = created + 1
    store_rows(
        database_url, [(task_id, 1, V1_TOPIC, v1_task_created(ctx.tenant_id, project_id), old)]
    )

    task: Task = app.repository.get(task_id)
    assert (task.title, task.due_on, task.assignee) == ("written before due dates", None, None)
    last = app.record(app.update_task(ctx, task_id, None, TaskEdit(assignee="sam")))
    with psycopg.connect(conninfo(database_url)) as conn:
        states = conn.execute(
            f"SELECT state FROM {EVENTS_TABLE} ORDER BY notification_id"  # noqa: S608
        ).fetchall()
    assert "class_version" not in orjson.loads(states[1][0])  # version 1 is stored without

    current = {
        "task_id": str(task_id),
        "project_id": str(project_id),
        "title": "written before due dates",
        "description": None,
        "status": "pending",
        "due_on": None,
        "assignee": None,
        "type": "TaskCreated",
    }
    relay = Relay(conninfo(database_url), nats_url, "TASKSTREAM")
    projector = Projector(conninfo(database_url), nats_url, "TASKSTREAM")
    async with running(relay, projector):

        async def applied() -> bool:
            return relay.published_position == last and projector.tracking.position == last

        await eventually(applied, what="every event published and projected", within=30)
    published = await published_data(nats_url)
    assert published[1:] == [
        current,
        {"task_id": str(task_id), "assignee": "sam", "type": "TaskAssigneeChanged"},
    ]

    async with asyncio.timeout(30):
        assert await republish(conninfo(database_url), nats_url, "TASKSTREAM", old) == 2
    assert (await published_data(nats_url))[3:] == published[1:]

    projected = read_model(database_url)
    (row,) = projected["tasks"]
    assert (row[0], row[3], row[6], row[7]) == (task_id, "written before due dates", None, "sam")
    await rebuild(conninfo(database_url), out=io.StringIO())
    assert read_model(database_url) == projected

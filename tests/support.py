"""Waiting for conditions instead of sleeping (`until`, `eventually`), reading what
reached the stream, seeding the read model directly, and counting the statements
PostgreSQL ran."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

import orjson
import psycopg

from shared.background import background
from shared.database import DatabaseAddress
from shared.events.envelope import EventEnvelope
from shared.events.identity import Identity
from shared.nats import ANONYMOUS, NatsCredentials, connect
from shared.nats_jwt import Permissions

T = TypeVar("T")
HARNESS = Permissions(publish=(">",), subscribe=(">",))
"""What the tests themselves may do on a NATS that admits only signed users: anything."""


def until(
    check: Callable[[], T | None],
    *,
    within: float = 10.0,
    what: str = "condition",
    every: float = 0.02,
) -> T:
    """The first truthy answer of `check`, asked every `every` s: the one way the tests
    wait for something (`eventually` is the same for a coroutine)."""
    deadline = time.monotonic() + within
    while not (answer := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {within:g} s")
        time.sleep(every)
    return answer


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    within: float = 10.0,
    what: str = "condition",
    every: float = 0.02,
) -> T:
    """`until` for an async check, sleeping on the event loop."""
    deadline = time.monotonic() + within
    while not (answer := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {within:g} s")
        await asyncio.sleep(every)
    return answer


class Service(Protocol):
    async def run(self) -> None: ...


def running(*services: Service) -> contextlib.AbstractAsyncContextManager[None]:
    """Each service's `run()` in the background for the block, cancelled after it."""
    return background(*(service.run() for service in services))


@dataclass(frozen=True)
class StoredMessage:
    seq: int
    subject: str
    data: bytes
    headers: dict[str, str]
    time: datetime
    """When JetStream stored it."""


def published_event(payload: bytes) -> EventEnvelope:
    """A message from the stream as an envelope to assert on, read as every service reads
    one (Identity, refusing what is not a taskstream event)."""
    identity = Identity.from_bytes(payload)
    body = orjson.loads(payload)
    return EventEnvelope(
        id=UUID(identity.id),
        type=identity.type,
        tenant_id=UUID(identity.tenant_id),
        position=identity.position,
        aggregate_id=UUID(identity.aggregate_id),
        aggregate_version=identity.aggregate_version,
        time=datetime.fromisoformat(body["time"]),
        actor=body.get("actor"),
        data=body["data"],
    )


async def stream_messages(
    nats_url: str, stream: str = "TASKSTREAM", *, credentials: NatsCredentials = ANONYMOUS
) -> list[StoredMessage]:
    """Every message in the stream, in stream order (empty if there is no stream yet).

    Read by sequence through the stream's API rather than through a consumer: nats-py's
    `fetch` takes a message's own header named `Status` for the server's status reply to
    the pull request, and stops or drops it."""
    from nats.js.errors import NotFoundError

    nc = await connect(nats_url, name="test-reader", credentials=credentials)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            return []

        async def read(sequence: int) -> StoredMessage | None:
            try:
                raw = await js.get_msg(stream, seq=sequence)
            except NotFoundError:
                return None
            assert raw.seq is not None and raw.subject is not None and raw.time is not None
            return StoredMessage(
                raw.seq, raw.subject, raw.data or b"", dict(raw.headers or {}), raw.time
            )

        messages: list[StoredMessage] = []
        sequences = range(max(info.state.first_seq, 1), info.state.last_seq + 1)
        for start in range(0, len(sequences), 200):
            chunk = await asyncio.gather(*(read(s) for s in sequences[start : start + 200]))
            messages.extend(m for m in chunk if m is not None)
        return messages
    finally:
        await nc.close()


def check_against_schemas(cloudevent: dict[str, Any]) -> None:
    """Fails unless the envelope matches its JSON Schema and the data the schema its
    `dataschema` names (the current major of its type), loaded through the module the
    query API serves them from, formats checked; and `data` never carries the stored
    form's `class_version`."""
    from shared.event_schemas import ENVELOPE, dataschema

    _validator(ENVELOPE).validate(cloudevent)
    named, kind = cloudevent["dataschema"], cloudevent["type"]
    assert named == dataschema(kind), f"{kind} published as {named}, not {dataschema(kind)}"
    assert "class_version" not in cloudevent["data"], cloudevent
    _validator(named).validate(cloudevent["data"])


@functools.cache
def _validator(name: str) -> Any:
    """For the envelope or a `dataschema` URN."""
    from shared.event_schemas import ENVELOPE, resolve, schema

    return schema_validator(schema(ENVELOPE) if name == ENVELOPE else resolve(name))


def schema_validator(document: dict[str, Any]) -> Any:
    """A draft 2020-12 validator of `document` that checks `format` too. jsonschema
    skips `date-time` (without a word) unless rfc3339-validator is installed."""
    import jsonschema

    checker = jsonschema.FormatChecker()
    if "date-time" not in checker.checkers:
        raise AssertionError(
            "jsonschema cannot check date-time: rfc3339-validator (a dev dependency) is "
            "not installed; run make install"
        )
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document, format_checker=checker)


READ_TABLES = {
    "projects": "id, tenant_id, name, description, task_count, created_at, updated_at, version",
    "tasks": "id, tenant_id, project_id, title, description, status, due_on, assignee,"
    " created_at, updated_at, version",
    "tags": "id, tenant_id, name, name_key, color, task_count, created_at, updated_at, version",
    "task_tags": "task_id, tag_id, tenant_id",
}


def read_model(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every read table, row for row, in a stable order."""
    import psycopg

    from shared.database import DatabaseAddress

    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        return {
            table: conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1, 2").fetchall()  # noqa: S608
            for table, columns in READ_TABLES.items()
        }


def rebuilt_read_model(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The read tables after `taskstream rebuild` replayed the event store into them."""
    import io

    from services.projector.rebuild.run import rebuild

    conninfo = DatabaseAddress.parse(database_url).conninfo()
    asyncio.run(rebuild(conninfo, out=io.StringIO()))
    return read_model(database_url)


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def seed_project(conninfo: str, tenant: UUID, tasks: int) -> tuple[UUID, UUID]:
    """A project with `tasks` tasks, each carrying 3 tags, written straight into the read
    tables; returns (project, tag)."""
    project, tags = uuid4(), [uuid4() for _ in range(3)]
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "INSERT INTO projects (id, tenant_id, name, created_at, updated_at, version,"
            " task_count) VALUES (%s, %s, 'p', %s, %s, 1, %s)",
            (project, tenant, T0, T0, tasks),
        )
        for n, tag in enumerate(tags):
            conn.execute(
                "INSERT INTO tags (id, tenant_id, name, name_key, created_at, updated_at,"
                " version, task_count) VALUES (%s, %s, %s, %s, %s, %s, 1, %s)",
                (tag, tenant, f"tag {project} {n}", f"tag {project} {n}", T0, T0, tasks),
            )
        task_ids = [uuid4() for _ in range(tasks)]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO tasks (id, tenant_id, project_id, title, status, created_at,"
                " updated_at, version) VALUES (%s, %s, %s, 't', 'pending', %s, %s, 1)",
                [
                    (t, tenant, project, T0 + timedelta(seconds=i), T0)
                    for i, t in enumerate(task_ids)
                ],
            )
            cur.executemany(
                "INSERT INTO task_tags (task_id, tag_id, tenant_id) VALUES (%s, %s, %s)",
                [(t, g, tenant) for t in task_ids for g in tags],
            )
    return project, tags[0]


def log_statements(database_url: str) -> None:
    """PostgreSQL logs every statement run in this database by sessions opened later."""
    database = database_url.rsplit("/", 1)[1]
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo(), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'")


class StatementLog:
    """Counts the statements the server's log shows from now on (see log_statements)."""

    _STATEMENT = re.compile(r"LOG:  (statement|execute [^:]*):")

    def __init__(self, path: Path) -> None:
        time.sleep(0.05)
        self.path = path
        self.start = path.stat().st_size

    def count(self) -> int:
        time.sleep(0.05)
        with self.path.open("rb") as f:
            f.seek(self.start)
            return len(self._STATEMENT.findall(f.read().decode(errors="replace")))

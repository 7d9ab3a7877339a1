"""Rebuilding the read model from the event store: equal to the live projection."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
from psycopg import sql

from services.command.application import TaskstreamApplication
from services.command.publishing.encoding import encode_row
from services.command.publishing.relay import Relay
from services.projector.consumer import Projector
from services.projector.intake.incoming import Incoming
from services.projector.rebuild.run import rebuild
from services.projector.rebuild.shadow import SHADOW
from services.projector.store import ProjectionStore
from services.projector.tracking import Tracking
from shared.database import EVENTS_TABLE, DatabaseAddress
from tests.support import eventually, read_model, running
from tests.workload import bulk_workload, mixed_workload


@contextlib.asynccontextmanager
async def live(database_url: str, nats_url: str) -> AsyncIterator[TaskstreamApplication]:
    """The write side's relay and the projector, running; yields the application."""
    app = TaskstreamApplication(env=DatabaseAddress.parse(database_url).eventsourcing_env(2, 2))
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    try:
        async with running(
            Relay(conninfo, nats_url, "TASKSTREAM"),
            Projector(conninfo, nats_url, "TASKSTREAM"),
        ):
            yield app
    finally:
        app.close()


async def caught_up(database_url: str, position: int) -> None:
    async def applied() -> bool:
        with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
            row = conn.execute("SELECT position FROM projection_tracking").fetchone()
        return bool(row and row[0] >= position)

    await eventually(applied, what=f"the projection at position {position}", within=60)


def schema_of(database_url: str) -> list[tuple[object, ...]]:
    """The read tables' indexes and constraints, as PostgreSQL describes them."""
    with psycopg.connect(conninfo(database_url)) as conn:
        indexes = conn.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' ORDER BY 1, 2"
        ).fetchall()
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        ).fetchall()
    return indexes + constraints


def conninfo(database_url: str) -> str:
    return DatabaseAddress.parse(database_url).conninfo()


async def test_a_rebuild_equals_the_live_projection_row_for_row(
    database_url: str, nats_url: str
) -> None:
    async with live(database_url, nats_url) as app:
        last = await asyncio.to_thread(mixed_workload, app, [uuid4() for _ in range(3)], 15)
        await caught_up(database_url, last)
        projected = read_model(database_url)
        indexes = schema_of(database_url)
        outcome = await rebuild(conninfo(database_url), out=io.StringIO())
    assert outcome.position == last
    assert read_model(database_url) == projected
    assert schema_of(database_url) == indexes
    assert sum(len(rows) for rows in projected.values()) > 30


async def test_the_handlers_make_the_rows_the_bulk_fold_makes(
    database_url: str, nats_url: str
) -> None:
    """The live projector applies batches in bulk and falls back to the per-event
    handlers: both must leave the same rows after the mixed workload."""
    async with live(database_url, nats_url) as app:
        last = await asyncio.to_thread(mixed_workload, app, [uuid4() for _ in range(3)], 15)
        await caught_up(database_url, last)
    folded = read_model(database_url)
    async with await psycopg.AsyncConnection.connect(
        conninfo(database_url), autocommit=True
    ) as conn:
        cur = await conn.execute(
            sql.SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id"
                " FROM {} ORDER BY notification_id"
            ).format(sql.Identifier(EVENTS_TABLE))
        )
        stored = await cur.fetchall()
        await conn.execute(
            "TRUNCATE projects, tasks, tags, task_tags, project_documents, projection_tracking"
        )
        await conn.commit()
        messages = [
            Incoming(sequence, event.subject, event.payload, {})
            for sequence, event in enumerate(map(encode_row, stored), start=1)
        ]
        store, tracking = ProjectionStore(conn), Tracking(0, 0)
        for start in range(0, len(messages), 50):
            tracking = await store.apply_one_by_one(messages[start : start + 50], tracking)
    assert store.dead_lettered == 0
    assert tracking.position == last
    assert read_model(database_url) == folded


async def test_a_rebuild_while_commands_run_keeps_every_event(
    database_url: str, nats_url: str
) -> None:
    tenant = uuid4()
    async with live(database_url, nats_url) as app:
        first = await asyncio.to_thread(mixed_workload, app, [uuid4() for _ in range(2)], 15)
        await caught_up(database_url, first)
        writing = asyncio.create_task(asyncio.to_thread(mixed_workload, app, [tenant], 40, 11))
        await rebuild(conninfo(database_url), out=io.StringIO())
        last = await writing
        await caught_up(database_url, last)
        after_rebuild = read_model(database_url)
        await rebuild(conninfo(database_url), out=io.StringIO())
    assert read_model(database_url) == after_rebuild
    assert any(row[1] == tenant for row in after_rebuild["tasks"])


async def test_a_rebuild_killed_midway_can_be_started_again(
    database_url: str, nats_url: str, tmp_path: Path
) -> None:
    async with live(database_url, nats_url) as app:
        await asyncio.to_thread(mixed_workload, app, [uuid4() for _ in range(2)], 10)
        last = await asyncio.to_thread(bulk_workload, app, 4, 2500)
        await caught_up(database_url, last)
        projected = read_model(database_url)
        env = {**os.environ, "TASKSTREAM_DATABASE_URL": database_url}
        with (tmp_path / "rebuild.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.cli", "rebuild", env=env, stdout=log, stderr=log
            )

        async def shadow_filling() -> bool:
            with psycopg.connect(conninfo(database_url)) as conn:
                found = conn.execute(
                    "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'tasks'",
                    (SHADOW,),
                ).fetchone()
                if found is None:
                    return False
                row = conn.execute(f'SELECT count(*) FROM "{SHADOW}".tasks').fetchone()  # noqa: S608
                return bool(row and row[0] > 0)

        await eventually(shadow_filling, what="the rebuild under way", within=60, every=0.001)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        assert read_model(database_url) == projected, "a killed rebuild touched the live tables"
        await rebuild(conninfo(database_url), out=io.StringIO())
    assert read_model(database_url) == projected


async def test_a_tenant_rebuild_touches_no_other_tenant(database_url: str, nats_url: str) -> None:
    mine, theirs = uuid4(), uuid4()
    async with live(database_url, nats_url) as app:
        last = await asyncio.to_thread(mixed_workload, app, [mine, theirs], 10)
        await caught_up(database_url, last)
        projected = read_model(database_url)
        with psycopg.connect(conninfo(database_url)) as conn:
            conn.execute("UPDATE projects SET name = 'damaged'")
            conn.execute("UPDATE tags SET task_count = 99")
        damaged = read_model(database_url)
        await rebuild(conninfo(database_url), tenant=mine, out=io.StringIO())
    rebuilt = read_model(database_url)
    for table, rows in rebuilt.items():
        assert [r for r in rows if _tenant(table, r) == mine] == [
            r for r in projected[table] if _tenant(table, r) == mine
        ], f"{table}: the tenant's rows were not restored"
        assert [r for r in rows if _tenant(table, r) == theirs] == [
            r for r in damaged[table] if _tenant(table, r) == theirs
        ], f"{table}: another tenant's rows changed"


def _tenant(table: str, row: tuple[object, ...]) -> UUID:
    value = row[2] if table == "task_tags" else row[1]
    assert isinstance(value, UUID)
    return value


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_rebuild_reports_progress_to_the_end(database_url: str, nats_url: str) -> None:
    async with live(database_url, nats_url) as app:
        last = await asyncio.to_thread(mixed_workload, app, [uuid4()], 5)
        await caught_up(database_url, last)
        out = Terminal()
        outcome = await rebuild(conninfo(database_url), out=out)
    assert outcome.events == last
    final = out.getvalue().rsplit("\r", 1)[-1]
    assert f"{last:,} of {last:,} events (100%)" in final
    assert "events/s" in final

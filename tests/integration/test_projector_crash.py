"""kill -9 of the projector at any moment loses nothing and applies nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from services.command.application import TaskstreamApplication
from services.command.publishing.relay import Relay
from services.dev.postgres import EmbeddedPostgres
from services.projector.consumer import Projector
from shared.database import DatabaseAddress
from tests.conftest import fresh_database
from tests.stored import copy_store
from tests.support import READ_TABLES, eventually, read_model, running
from tests.workload import mixed_workload


def applied(database_url: str) -> int:
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        row = conn.execute("SELECT position FROM projection_tracking").fetchone()
        return int(row[0]) if row else 0


@pytest.fixture
def second_database(postgres_server: EmbeddedPostgres, template_url: str) -> Iterator[str]:
    with fresh_database(postgres_server, template_url) as url:
        yield url


def start_projector(database_url: str, nats_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TASKSTREAM_DATABASE_URL": database_url,
        "TASKSTREAM_NATS_URL": nats_url,
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", "projector"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_a_projector_killed_mid_batch_resumes_exactly_once(
    database_url: str, second_database: str, nats_url: str, tmp_path: Path
) -> None:
    app = TaskstreamApplication(env=DatabaseAddress.parse(database_url).eventsourcing_env(2, 2))
    try:
        last = mixed_workload(app, [uuid4() for _ in range(3)], rounds=120)
        relay = Relay(DatabaseAddress.parse(database_url).conninfo(), nats_url, "TASKSTREAM")
        async with running(relay):

            async def all_published() -> bool:
                return relay.published_position == last

            await eventually(all_published, what="the workload in JetStream", within=60)
    finally:
        app.close()

    kills = 0
    progress = [0]
    for _ in range(3):
        process = start_projector(database_url, nats_url, tmp_path / "projector.log")

        async def progressed() -> bool:
            return applied(database_url) > progress[-1]

        await eventually(
            progressed,
            within=60,
            what="the projector's progress past the last kill",
            every=0.005,
        )
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        progress.append(applied(database_url))
    assert progress[-1] < last, "the projector finished before it could be killed mid-way"

    process = start_projector(database_url, nats_url, tmp_path / "projector.log")
    try:

        async def caught_up() -> bool:
            return applied(database_url) == last

        await eventually(caught_up, what="the restarted projector at the end", within=60)
    finally:
        process.terminate()
        process.wait(timeout=15)

    # A clean projection of the same store (the projector applies only what it holds).
    copy_store(database_url, second_database)
    reference = Projector(DatabaseAddress.parse(second_database).conninfo(), nats_url, "TASKSTREAM")
    async with running(reference):

        async def reference_done() -> bool:
            return applied(second_database) == last

        await eventually(reference_done, what="the reference projection", within=60)

    assert kills == 3
    crashed, clean = read_model(database_url), read_model(second_database)
    for table in READ_TABLES:
        assert crashed[table] == clean[table], f"{table} differs after kill -9 and restart"
    assert sum(len(rows) for rows in clean.values()) > 250

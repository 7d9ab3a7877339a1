"""A store recorded before tasks had due dates and assignees (tests/fixtures/README.md):
migrated, served, rebuilt and projected live again by today's code.

The fixture is a pg_dump of a whole database as the stack of that time left it: its
event store, the read model its projector built, the kept JSON its query API stored,
and what that query API answered. After the migrations its tasks are served as they
were, with `due_on` and `assignee` null; a rebuild and a live projection from scratch
give the same rows.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from fastapi.testclient import TestClient

from services.command.publishing.relay import Relay
from services.dev.postgres import POSTGRES_BIN_PATH, EmbeddedPostgres
from services.projector.consumer import Projector
from services.projector.rebuild.run import rebuild
from services.query.app import create_app
from shared import migrate
from shared.database import DatabaseAddress
from shared.settings import Settings
from shared.tokens import issue_token
from tests.conftest import JWT_SECRET
from tests.support import eventually, read_model, running

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store_before_due_dates"
KEPT_JSON = ("task_documents", "project_documents")


@contextlib.contextmanager
def restored(server: EmbeddedPostgres) -> Iterator[str]:
    """A database of its own holding the fixture as dumped, dropped afterwards."""
    name = f"before_due_dates_{uuid4().hex[:8]}"
    url = server.create_database(name)
    try:
        dump = str(FIXTURE.with_suffix(".sql"))
        subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                url,
                "-f",
                dump,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield url
    finally:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def conninfo(url: str) -> str:
    return DatabaseAddress.parse(url).conninfo()


def count(url: str, table: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    assert row is not None
    return int(row[0])


def with_nulls(answers: dict[str, Any]) -> dict[str, Any]:
    """What the query API answered then, each task with the two fields null."""

    def task(t: dict[str, Any]) -> dict[str, Any]:
        return t | {"due_on": None, "assignee": None}

    return answers | {
        "projects": [p | {"tasks": list(map(task, p["tasks"]))} for p in answers["projects"]],
        "tasks": list(map(task, answers["tasks"])),
    }


def served(url: str, nats_url: str, data_dir: Path, tenant: str) -> dict[str, Any]:
    """The tenant's lists and nested views as today's query API answers them (a new
    app each time, its answer cache off: nothing it kept answers for it)."""
    settings = Settings(
        database_url=url,
        nats_url=nats_url,
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        data_dir=data_dir,
        query_cache_megabytes=0,
    )
    with TestClient(create_app(settings)) as client:
        client.headers["X-Tenant-Token"] = issue_token(JWT_SECRET, UUID(tenant), 600)

        def get(path: str) -> Any:
            answer = client.get(f"/api/v1{path}")
            assert answer.status_code == 200, answer.text
            return answer.json()

        projects = get("/projects")["items"]
        return {
            "tenant_id": tenant,
            "projects": [get(f"/projects/{p['id']}") for p in projects],
            "tasks": get("/tasks")["items"],
            "tags": get("/tags")["items"],
        }


async def projected_live(url: str, nats_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The read model as today's relay and projector make it from the store, from
    nothing: the read tables emptied, the stream refilled from the first event."""
    with psycopg.connect(conninfo(url)) as conn:
        conn.execute(
            "TRUNCATE projects, tasks, tags, task_tags, project_documents, task_documents,"
            " projection_tracking"
        )
        last = conn.execute("SELECT max(notification_id) FROM taskstream_events").fetchone()
    assert last is not None

    async def caught_up() -> bool:
        with psycopg.connect(conninfo(url)) as conn:
            row = conn.execute("SELECT position FROM projection_tracking").fetchone()
        return bool(row and row[0] >= last[0])

    async with running(
        Relay(conninfo(url), nats_url, "TASKSTREAM"),
        Projector(conninfo(url), nats_url, "TASKSTREAM"),
    ):
        await eventually(caught_up, what="the live projection of the fixture", within=60)
    return read_model(url)


async def test_a_store_recorded_before_migrates_rebuilds_and_serves_both_fields_null(
    postgres_server: EmbeddedPostgres, nats_url: str, tmp_path: Path
) -> None:
    recorded = json.loads(FIXTURE.with_suffix(".json").read_text())
    expected = [with_nulls(answers) for answers in recorded]
    with restored(postgres_server) as url:
        assert all(count(url, table) > 0 for table in KEPT_JSON)
        assert count(url, "tasks") == sum(len(a["tasks"]) for a in recorded) > 0
        migrate.upgrade(url)
        assert [count(url, table) for table in KEPT_JSON] == [0, 0]

        assert [served(url, nats_url, tmp_path, a["tenant_id"]) for a in recorded] == expected
        projected = read_model(url)
        assert {row[6:8] for row in projected["tasks"]} == {(None, None)}

        await rebuild(conninfo(url), out=io.StringIO())
        assert read_model(url) == projected
        assert [served(url, nats_url, tmp_path, a["tenant_id"]) for a in recorded] == expected

        assert await projected_live(url, nats_url) == projected
        assert [served(url, nats_url, tmp_path, a["tenant_id"]) for a in recorded] == expected

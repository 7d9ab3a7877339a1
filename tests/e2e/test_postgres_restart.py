"""PostgreSQL crashes under load (DESIGN §7): no acknowledged command is lost or doubled.

The database gets a server of its own, stopped the way a crash stops it (no
checkpoint; the restart recovers from the WAL) while clients keep sending commands.
Afterwards the read model equals a fresh rebuild. Clients do what the API asks of
them: a command that got no answer, or a 503, is sent again with the same
Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from services.projector.rebuild import rebuild
from shared.auth import issue_token
from shared.database import DatabaseAddress
from shared.events import EventEnvelope
from tests.conftest import JWT_SECRET, delete_streams
from tests.e2e.conftest import Stack, run_stack
from tests.support import read_model, stream_messages

pytestmark = pytest.mark.e2e
CLIENTS = 4
PER_CLIENT = 40


def send_until_answered(
    http: httpx.Client, stack: Stack, token: str, n: int, troubles: list[str]
) -> dict[str, str]:
    """One command, retried with its key until it gets a 201; the project it made."""
    key = str(uuid4())
    headers = {"X-Tenant-Token": token, "Idempotency-Key": key}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            answer = http.post(
                f"{stack.command_url}/api/v1/projects",
                json={"name": f"project {n}"},
                headers=headers,
            )
        except httpx.TransportError as e:
            troubles.append(repr(e))
            time.sleep(0.2)
            continue
        if answer.status_code == 201:
            return {"id": answer.json()["id"], "position": answer.headers["X-Event-Position"]}
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "1"
        troubles.append(str(answer.status_code))
        time.sleep(0.2)
    raise AssertionError(f"command {n} still unanswered after 120 s")


def test_a_postgres_crash_under_load_loses_and_doubles_nothing(
    nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    server = EmbeddedPostgres(tmp_path / "postgres")
    server.start()
    try:
        asyncio.run(delete_streams(nats_server.url))
        database_url = server.create_database("restarts")
        logs = tmp_path / "logs"
        logs.mkdir()
        with run_stack(database_url, nats_server.url, logs) as stack:
            token = issue_token(JWT_SECRET, uuid4(), 600, "tester")
            made: list[dict[str, str]] = []
            troubles: list[str] = []
            lock = threading.Lock()

            def client(index: int) -> None:
                with httpx.Client(timeout=10) as http:
                    for n in range(PER_CLIENT):
                        project = send_until_answered(
                            http, stack, token, index * 1000 + n, troubles
                        )
                        with lock:
                            made.append(project)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
            for thread in threads:
                thread.start()
            while len(made) < CLIENTS * PER_CLIENT // 3:
                time.sleep(0.01)
            server.crash()
            time.sleep(1.0)
            server.start()
            for thread in threads:
                thread.join(timeout=180)
            assert len(made) == CLIENTS * PER_CLIENT
            assert troubles, "the crash should have been felt by the clients"

            last = max(int(p["position"]) for p in made)
            with httpx.Client(timeout=10) as http:
                deadline = time.monotonic() + 60
                while True:
                    answer = http.get(
                        f"{stack.query_url}/api/v1/projects",
                        params={"limit": 200},
                        headers={"X-Tenant-Token": token, "X-Min-Position": str(last)},
                    )
                    if answer.status_code == 200 or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
                assert answer.status_code == 200, answer.text
                listed = [item["id"] for item in answer.json()["items"]]
            assert sorted(listed) == sorted(p["id"] for p in made)

            published = asyncio.run(stream_messages(nats_server.url))
            positions = [EventEnvelope.from_bytes(m.data).position for m in published]
            assert positions == sorted({int(p["position"]) for p in made})
            for process in stack.processes.values():
                assert process.poll() is None, "a service died with the database"

            projected = read_model(database_url)
            asyncio.run(rebuild(DatabaseAddress.parse(database_url).conninfo(), out=io.StringIO()))
            assert read_model(database_url) == projected, "the read model differs from a rebuild"
    finally:
        server.stop()

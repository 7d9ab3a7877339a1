"""PostgreSQL down and back: every request is answered within 2 s
while it is down, with a 503 a client can act on, and none fails for a stale pooled
connection once it is back.

The database gets a server of its own, stopped and started while the services run.
Reads go to both query workers and writes to both command workers (each request on a
connection of its own), so every pool of every process meets the outage: the query
pools, the command side's event-store pools and group-commit writers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from tests.conftest import started
from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack, run_stack

pytestmark = pytest.mark.e2e
BOUND = 2.0


@dataclass
class Answered:
    request: str
    status: int
    seconds: float
    headers: httpx.Headers
    body: bytes


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL of the test's own, which it stops."""
    with started(EmbeddedPostgres(tmp_path / "postgres", fast=True)) as server:
        yield server


@pytest.fixture
def outage_stack(
    postgres: EmbeddedPostgres, nats_server: EmbeddedNats, tmp_path: Path
) -> Iterator[Stack]:
    database_url = postgres.create_database("outage")
    logs = tmp_path / "logs"
    logs.mkdir()
    # The default wait for X-Min-Position (5 s), which an outage must not make reads wait.
    with run_stack(database_url, nats_server, logs, min_position_wait_seconds=5) as stack:
        yield stack


Request = tuple[str, str, str, dict[str, str], Any]
"""(label, method, url, headers, JSON body)."""


def reads(
    stack: Stack, tenant: Tenant, projects: list[dict[str, Any]], ahead: bool
) -> list[Request]:
    """40 reads of views and lists; with `ahead`, every fourth waits for a position the
    read model has not reached."""
    query = f"{stack.query_url}/api/v1"
    urls = [f"{query}/projects/{p['id']}" for p in projects] + [
        f"{query}/projects",
        f"{query}/tags",
        f"{query}/tasks",
        f"{query}/tasks?project_id={projects[0]['id']}",
    ]
    made: list[Request] = []
    for n in range(40):
        url, headers = urls[n % len(urls)], dict(tenant.headers)
        if ahead and n % 4 == 3:
            headers["X-Min-Position"] = str(10**12)
        label = f"GET {url.removeprefix(query)} {headers.get('X-Min-Position', '')}"
        made.append((label.strip(), "GET", url, headers, None))
    return made


def writes(
    stack: Stack, tenant: Tenant, projects: list[dict[str, Any]], creates: int
) -> list[Request]:
    """20 writes: `creates` new projects, renames of the existing ones for the rest."""
    command = f"{stack.command_url}/api/v1"
    made: list[Request] = []
    for n in range(20):
        if n < creates:
            url, method, body = f"{command}/projects", "POST", {"name": f"new {n}"}
        else:
            url, method = f"{command}/projects/{projects[n % len(projects)]['id']}", "PATCH"
            body = {"name": f"renamed {n}"}
        made.append((f"{method} {url.removeprefix(command)}", method, url, tenant.headers, body))
    return made


async def send_all(made: list[Request]) -> list[Answered]:
    """All at once, each on a connection of its own, so that the kernel spreads them
    over every worker. One unanswered in 10 s is status 0."""

    async def send(label: str, method: str, url: str, headers: Any, body: Any) -> Answered:
        started = time.monotonic()
        try:
            answer = await client.request(method, url, headers=headers, json=body)
        except httpx.TimeoutException:
            return Answered(label, 0, time.monotonic() - started, httpx.Headers(), b"")
        elapsed = time.monotonic() - started
        return Answered(label, answer.status_code, elapsed, answer.headers, answer.content)

    no_reuse = httpx.Limits(max_connections=len(made), max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=10, limits=no_reuse) as client:
        return await asyncio.gather(*(send(*request) for request in made))


def prepared(stack: Stack) -> tuple[Tenant, list[dict[str, Any]]]:
    """A tenant with projects, and every pool in use before the database goes."""
    tenant = Tenant(stack)
    projects = [tenant.project(f"project {n}") for n in range(7)]
    last = tenant.command("POST", "/projects", json={"name": "project 7"})
    projects.append(last.json())
    seen = tenant.query("/projects", headers={"X-Min-Position": last.headers["X-Event-Position"]})
    assert seen.status_code == 200
    warm = asyncio.run(
        send_all(reads(stack, tenant, projects, False) + writes(stack, tenant, projects, 10))
    )
    assert [a.status for a in warm if a.status >= 300] == []
    return tenant, projects


def test_while_postgres_is_down_every_request_is_a_503_problem_within_2_s(
    outage_stack: Stack, postgres: EmbeddedPostgres
) -> None:
    tenant, projects = prepared(outage_stack)
    postgres.stop()
    made = reads(outage_stack, tenant, projects, True) + writes(outage_stack, tenant, projects, 10)
    answers = asyncio.run(send_all(made))
    wrong = [
        (a.request, a.status, round(a.seconds, 2))
        for a in answers
        if a.status != 503
        or a.seconds >= BOUND
        or not a.headers.get("Retry-After", "").isdigit()
        or a.headers.get("Content-Type") != "application/problem+json"
    ]
    assert wrong == [], f"{len(wrong)} of {len(answers)} answers: {wrong}"
    probes: list[Request] = [
        (f"GET {path} {url}", "GET", f"{url}{path}", {}, None)
        for url in (outage_stack.command_url, outage_stack.query_url)
        for path in ("/ready", "/metrics")
    ]
    answered = {a.request: (a.status, a.seconds < BOUND) for a in asyncio.run(send_all(probes))}
    assert answered == {label: (503 if "/ready" in label else 200, True) for label, *_ in probes}, (
        answered
    )


def test_once_postgres_is_back_no_request_fails_for_a_stale_connection(
    outage_stack: Stack, postgres: EmbeddedPostgres
) -> None:
    tenant, projects = prepared(outage_stack)
    postgres.stop()
    postgres.start()
    made = reads(outage_stack, tenant, projects, False) + writes(outage_stack, tenant, projects, 0)
    answers = asyncio.run(send_all(made))
    failed = [(a.request, a.status) for a in answers if a.status >= 300]
    assert failed == [], f"{len(failed)} of {len(answers)} failed: {failed}"

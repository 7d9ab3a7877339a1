"""The services' edges: bodies, numeric headers, tokens, and what `/ready`
and `/metrics` cost, through the real processes.

Each API runs one worker here, so a raw connection and the log it causes meet the same
process, with a body timeout of 1 s instead of 10 and debug logs on.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import jwt
import psycopg
import pytest

from shared.database import DatabaseAddress
from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack
from tests.support import eventually

pytestmark = pytest.mark.e2e
BODY_TIMEOUT = 1.0
TOO_BIG = 2 * 2**20
STACK_SETTINGS = {
    "command_workers": 1,
    "query_workers": 1,
    "body_timeout_seconds": BODY_TIMEOUT,
    "log_level": "DEBUG",
}


def address(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").partition(":")
    return host, int(port)


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: taskstream",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_until_closed(conn: socket.socket, within: float) -> bytes:
    """Everything the server sends until it closes; fails if it has not closed in time."""
    conn.settimeout(within)
    received = b""
    try:
        while chunk := conn.recv(65536):
            received += chunk
    except TimeoutError:
        raise AssertionError(
            f"the server kept the connection open {within} s: {received!r}"
        ) from None
    return received


def event_count(stack: Stack) -> int:
    with psycopg.connect(DatabaseAddress.parse(stack.database_url).conninfo()) as conn:
        row = conn.execute("SELECT count(*) FROM taskstream_events").fetchone()
    assert row is not None
    return int(row[0])


def is_problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    return body


# Bodies ---------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_by_length_or_by_count_and_records_nothing(
    stack: Stack,
) -> None:
    tenant = Tenant(stack)
    before = event_count(stack)
    big = json.dumps({"name": "too big", "description": "x" * TOO_BIG}).encode()

    def chunked() -> Iterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    for content in (big, chunked()):
        answer = tenant.command(
            "POST", "/projects", content=content, headers={"Content-Type": "application/json"}
        )
        assert "1048576" in is_problem(answer, 413)["detail"]
    assert event_count(stack) == before
    view = f"{stack.query_url}/api/v1/projects"
    assert httpx.get(view, headers=tenant.headers).status_code == 200
    for content in (big, chunked()):
        answer = httpx.request("GET", view, headers=tenant.headers, content=content)
        is_problem(answer, 413)
        assert answer.headers["X-Projection-Position"].isdigit()
    assert tenant.project("still fine")


@pytest.mark.parametrize("api", ["command", "query"])
def test_a_body_shorter_than_its_length_is_408_within_the_timeout_and_closed(
    stack: Stack, api: str
) -> None:
    tenant = Tenant(stack)
    url = stack.command_url if api == "command" else stack.query_url
    method, path = ("POST", "/api/v1/projects") if api == "command" else ("GET", "/api/v1/tags")
    headers = {**tenant.headers, "Content-Type": "application/json", "Content-Length": "100"}
    with socket.create_connection(address(url)) as conn:
        started = time.monotonic()
        conn.sendall(head(method, path, headers) + b'{"name": ')
        received = read_until_closed(conn, BODY_TIMEOUT + 5)
        elapsed = time.monotonic() - started
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout", received
    assert b"application/problem+json" in rest
    assert BODY_TIMEOUT * 0.9 <= elapsed < BODY_TIMEOUT + 2


def test_a_client_gone_mid_body_is_logged_at_debug_level_without_a_traceback(
    stack: Stack,
) -> None:
    log = stack.logs / "command.log"
    start = log.stat().st_size
    headers = {**Tenant(stack).headers, "Content-Type": "application/json"}
    with socket.create_connection(address(stack.command_url)) as conn:
        conn.sendall(head("POST", "/api/v1/projects", {**headers, "Content-Length": "1000"}))
        conn.sendall(b'{"name": "gone')

    def written() -> list[dict[str, Any]]:
        with log.open("rb") as file:
            file.seek(start)
            lines = file.read().decode().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    async def noticed() -> bool:
        return any(
            "went away" in entry["message"] or entry["level"] in ("error", "critical")
            for entry in written()
        )

    asyncio.run(eventually(noticed, what="the disconnect logged"))
    entries = written()
    assert [e for e in entries if e["level"] in ("error", "critical") or "exception" in e] == []
    gone = [e for e in entries if "went away" in e["message"]]
    assert gone and gone[0]["level"] == "debug"


# Numeric headers ------------------------------------------------------------------------


def test_a_superscript_digit_in_a_numeric_header_is_a_4xx_problem_on_every_path(
    stack: Stack,
) -> None:
    tenant = Tenant(stack)
    project = tenant.project()
    view = f"{stack.query_url}/api/v1/projects/{project['id']}"
    cached = f"{stack.query_url}/api/v1/projects"
    assert httpx.get(cached, headers=tenant.headers).status_code == 200
    assert httpx.get(cached, headers=tenant.headers).status_code == 200
    token = [(b"x-tenant-token", tenant.headers["X-Tenant-Token"].encode())]
    superscript = [(b"x-min-position", b"\xb2")]
    for url in (view, cached, f"{stack.query_url}/api/v1/tags?limit=1"):
        is_problem(httpx.get(url, headers=superscript), 401)
        is_problem(httpx.get(url, headers=token + superscript), 422)
    patch = f"{stack.command_url}/api/v1/projects/{project['id']}"
    # A quoted tag is well-formed whatever it holds, and names no version: it never matches.
    for if_match, status in ((b'"\xb2"', 412), (b"\xb2", 400), (b'W/"1\xb9"', 412)):
        answer = httpx.patch(patch, json={"name": "n"}, headers=[*token, (b"if-match", if_match)])
        is_problem(answer, status)
    largest = {**tenant.headers, "X-Min-Position": str(2**63 - 1)}
    is_problem(httpx.get(cached, headers=largest), 503)
    is_problem(httpx.get(cached, headers={**tenant.headers, "X-Min-Position": str(2**63)}), 422)


# Tokens ---------------------------------------------------------------------------------


async def test_a_token_whose_exp_is_a_string_is_refused_once_expired_though_cached(
    stack: Stack,
) -> None:
    tenant, expires = uuid4(), int(time.time()) + 2
    token = jwt.encode({"tenant_id": str(tenant), "exp": str(expires)}, stack.secret, "HS256")
    headers = {"X-Tenant-Token": token}
    urls = [f"{stack.query_url}/api/v1/projects", f"{stack.command_url}/api/v1/projects"]
    async with httpx.AsyncClient() as client:

        async def status(url: str) -> int:
            if url.startswith(stack.command_url):
                return (await client.post(url, json={"name": "n"}, headers=headers)).status_code
            return (await client.get(url, headers=headers)).status_code

        assert [await status(url) for url in urls] == [200, 201]

        async def refused() -> bool:
            return [await status(url) for url in urls] == [401, 401]

        await eventually(refused, within=6, every=0.2, what="the expired token refused")
    assert time.time() >= expires


def test_a_token_from_an_issuer_whose_clock_runs_ahead_is_accepted_within_the_leeway(
    stack: Stack,
) -> None:
    ahead = int(time.time()) + 10
    token = jwt.encode(
        {"tenant_id": str(uuid4()), "iat": ahead, "nbf": ahead, "exp": ahead + 600},
        stack.secret,
        "HS256",
    )
    headers = {"X-Tenant-Token": token}
    assert httpx.get(f"{stack.query_url}/api/v1/projects", headers=headers).status_code == 200
    created = httpx.post(
        f"{stack.command_url}/api/v1/projects", json={"name": "a"}, headers=headers
    )
    assert created.status_code == 201
    far = jwt.encode({"tenant_id": str(uuid4()), "nbf": ahead + 60}, stack.secret, "HS256")
    answer = httpx.get(f"{stack.query_url}/api/v1/projects", headers={"X-Tenant-Token": far})
    is_problem(answer, 401)


# /ready and /metrics --------------------------------------------------------------------


def nats_client_id(url: str) -> int:
    """The id nats-server gives the next connection: one more per connection it accepted."""
    host, _, port = url.removeprefix("nats://").partition(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        line = conn.makefile("rb").readline()
    return int(json.loads(line.removeprefix(b"INFO "))["client_id"])


def sessions(stack: Stack) -> int:
    """PostgreSQL's count of sessions opened on the stack's database so far."""
    with psycopg.connect(DatabaseAddress.parse(stack.database_url).conninfo()) as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_ready_and_metrics_open_no_connection_per_call(stack: Stack) -> None:
    for url in (stack.command_url, stack.query_url):
        assert httpx.get(f"{url}/ready").json()["checks"] == {"database": True, "nats": True}
    nats_before, sessions_before = nats_client_id(stack.nats_url), sessions(stack)
    with httpx.Client() as client:
        for _ in range(20):
            for url in (stack.command_url, stack.query_url):
                assert client.get(f"{url}/ready").status_code == 200
                assert client.get(f"{url}/metrics").status_code == 200
    # Counting is a connection too: one to NATS, one or two to PostgreSQL.
    nats_opened = nats_client_id(stack.nats_url) - nats_before - 1
    opened = sessions(stack) - sessions_before
    assert nats_opened == 0 and opened <= 2, (
        f"80 calls opened {nats_opened} NATS and {opened} PostgreSQL connections"
    )

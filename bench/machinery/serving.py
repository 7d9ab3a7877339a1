"""A cached GET of one task at 64 connections, with coalesced writes or uvicorn's own."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any
from uuid import uuid4

import uvloop

from bench.load import http_request, run_load
from bench.stack import BenchStack, servers, services
from shared.fast_paths import FastPath
from shared.tokens import issue_token

PATH = FastPath.SERVING
TITLE = "GET /tasks/{id} from the answer cache, 64 conns"
UNIT = "req/s"
CONNECTIONS = 64


def measure(workdir: Path, seconds: float, on: bool) -> float:
    env = {} if on else {"TASKSTREAM_FAST_PATHS_OFF": PATH.value}
    with (
        servers(workdir) as (database_url, nats_url),
        services(workdir, database_url, nats_url, env=env) as stack,
    ):
        return uvloop.run(_reads(stack, seconds))


async def _reads(stack: BenchStack, seconds: float) -> float:
    token = issue_token(stack.secret, uuid4(), 3600, "bench")
    project, _ = _post(stack, token, "/projects", {"name": "read"})
    task, position = _post(stack, token, f"/projects/{project['id']}/tasks", {"title": "read"})
    url = f"{stack.query_url}/api/v1/tasks/{task['id']}"
    headers = {"X-Tenant-Token": token}
    host, port, first = http_request("GET", url, {**headers, "X-Min-Position": position})
    _, _, raw = http_request("GET", url, headers)
    await run_load(host, port, lambda _: first, 1, 0.5, 200)

    def request(_: int) -> bytes:
        return raw

    await run_load(host, port, request, 16, 2.0, 200)
    return (await run_load(host, port, request, CONNECTIONS, seconds, 200)).rate


def _post(stack: BenchStack, token: str, path: str, body: Any) -> tuple[Any, str]:
    request = urllib.request.Request(  # noqa: S310
        f"{stack.command_url}/api/v1{path}",
        data=json.dumps(body).encode(),
        headers={"X-Tenant-Token": token, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:  # noqa: S310
        return json.loads(answer.read()), answer.headers["X-Event-Position"]

"""POST /projects at 32 clients, with PlainRoute reading the requests or FastAPI's handler."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import uvloop

from bench.load import http_request, run_load
from bench.stack import servers, services
from shared.fast_paths import FastPath
from shared.tokens import issue_token

PATH = FastPath.PLAIN_ROUTES
TITLE = "POST /projects, 32 clients (2 command workers)"
UNIT = "req/s"
CLIENTS = 32


def measure(workdir: Path, seconds: float, on: bool) -> float:
    env = {} if on else {"TASKSTREAM_FAST_PATHS_OFF": PATH.value}
    with (
        servers(workdir) as (database_url, nats_url),
        services(workdir, database_url, nats_url, ("command",), env=env) as stack,
    ):
        return uvloop.run(_posts(stack.command_url, stack.secret, seconds))


async def _posts(url: str, secret: str, seconds: float) -> float:
    token = issue_token(secret, uuid4(), 3600, "bench")
    headers = {"X-Tenant-Token": token, "Content-Type": "application/json"}
    host, port, _ = http_request("POST", f"{url}/api/v1/projects", headers)

    def request(n: int) -> bytes:
        body = json.dumps({"name": f"project {n}"}).encode()
        return http_request("POST", f"{url}/api/v1/projects", headers, body)[2]

    await run_load(host, port, request, 8, 2.0, 201)
    return (await run_load(host, port, request, CLIENTS, seconds, 201)).rate

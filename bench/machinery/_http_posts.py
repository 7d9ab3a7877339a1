"""POST /projects at 32 clients through HTTP (two command workers, fsync on), with one
fast path on or off: the case of every fast path on the write side."""

from __future__ import annotations

from pathlib import Path

import uvloop

from bench.stack import servers, services
from bench.write import http_writes
from shared.fast_paths import FastPath

CLIENTS = 32


def measure(workdir: Path, seconds: float, path: FastPath, on: bool) -> float:
    env = {} if on else {"TASKSTREAM_FAST_PATHS_OFF": path.value}
    with (
        servers(workdir) as (database_url, nats_url),
        services(workdir, database_url, nats_url, ("command",), env=env) as stack,
    ):
        [(_, result)] = uvloop.run(
            http_writes(stack.command_url, stack.secret, seconds, (CLIENTS,))
        )
    if result.failures:
        raise RuntimeError(f"POST /projects failed: {result.failures}")
    return result.rate

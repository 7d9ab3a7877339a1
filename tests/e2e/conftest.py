"""The real processes: `taskstream command|projector|query` against the harness's servers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from shared import migrate
from tests.conftest import JWT_SECRET, delete_streams, fresh_database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Stack:
    command_url: str
    query_url: str
    database_url: str
    nats_url: str
    secret: str
    processes: dict[str, subprocess.Popen[bytes]]


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited at start-up:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy in 30 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def stack(
    postgres_server: EmbeddedPostgres,
    template_url: str,
    nats_server: EmbeddedNats,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    asyncio.run(delete_streams(nats_server.url))
    logs = tmp_path_factory.mktemp("logs")
    with (
        fresh_database(postgres_server, template_url) as database_url,
        run_stack(database_url, nats_server.url, logs) as stack,
    ):
        yield stack


@contextlib.contextmanager
def run_stack(database_url: str, nats_url: str, logs: Path) -> Iterator[Stack]:
    """The three services as processes against a migrated database; stopped afterwards."""
    migrate.upgrade(database_url)
    command_port, query_port = free_port(), free_port()
    env = {
        **os.environ,
        "TASKSTREAM_DATABASE_URL": database_url,
        "TASKSTREAM_NATS_URL": nats_url,
        "TASKSTREAM_JWT_SECRET": JWT_SECRET,
        "TASKSTREAM_COMMAND_PORT": str(command_port),
        "TASKSTREAM_QUERY_PORT": str(query_port),
        "TASKSTREAM_MIN_POSITION_WAIT_SECONDS": "1",
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in ("command", "projector", "query"):
            with (logs / f"{name}.log").open("wb") as out:
                processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "services.cli", name],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        command_url = f"http://127.0.0.1:{command_port}"
        query_url = f"http://127.0.0.1:{query_port}"
        wait_until_healthy(command_url, processes["command"], logs / "command.log")
        wait_until_healthy(query_url, processes["query"], logs / "query.log")
        yield Stack(command_url, query_url, database_url, nats_url, JWT_SECRET, processes)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

"""The stack the benchmarks measure: real servers, real service processes, durable settings."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from services.dev.processes import answers_health, free_port
from shared import migrate
from shared.serving import STOP_SECONDS
from shared.settings import service_environment

SECRET = "benchmark-secret-that-is-long-enough-for-hs256"  # noqa: S105 (throwaway)


@dataclass
class BenchStack:
    database_url: str
    nats_url: str
    command_url: str
    query_url: str
    secret: str = SECRET


@contextlib.contextmanager
def servers(workdir: Path) -> Iterator[tuple[str, str]]:
    """PostgreSQL (fsync on: commits are durable, as in production) and nats-server."""
    postgres = EmbeddedPostgres(workdir / "postgres")
    nats = EmbeddedNats(workdir / "nats")
    postgres.start()
    try:
        nats_url = nats.start()
        try:
            database_url = postgres.create_database("bench")
            migrate.upgrade(database_url)
            yield database_url, nats_url
        finally:
            nats.stop()
    finally:
        postgres.stop()


@contextlib.contextmanager
def services(
    workdir: Path,
    database_url: str,
    nats_url: str,
    names: tuple[str, ...] = ("command", "projector", "query"),
    workers: int = 2,
    env: dict[str, str] | None = None,
) -> Iterator[BenchStack]:
    command_port, query_port = free_port(), free_port()
    environ = {
        **service_environment(
            database_url=database_url,
            nats_url=nats_url,
            jwt_secret=SECRET,
            command_port=command_port,
            query_port=query_port,
            command_workers=workers,
            query_workers=workers,
            log_level="WARNING",
        ),
        **(env or {}),
    }
    stack = BenchStack(
        database_url, nats_url, f"http://127.0.0.1:{command_port}", f"http://127.0.0.1:{query_port}"
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name in names:
            log = (workdir / f"{name}.log").open("ab")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "services.cli", name],
                    env=environ,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        if "command" in names:
            _wait_healthy(stack.command_url)
        if "query" in names:
            _wait_healthy(stack.query_url)
        yield stack
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=STOP_SECONDS + 5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if answers_health(url):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy within 60 s")

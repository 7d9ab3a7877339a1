"""The live projector's sustained rate: events recorded straight into the store, published
by the relay, then applied by a projector service started afterwards."""

from __future__ import annotations

import asyncio
import os
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bench.stack import BenchStack, services
from bench.workload import record_tasks
from services.command.application import TaskstreamApplication
from shared.database import DatabaseAddress
from shared.tracking import TRACKING_NAME


@dataclass(frozen=True)
class CatchUp:
    events: int
    rate: float
    """Events applied per second of the clock."""
    per_cpu_second: float
    """Events applied per second of the projector process's own CPU time: what a fast path
    that saves the projector work buys, whatever else the machine runs meanwhile."""


async def projector_rate(
    workdir: Path, stack: BenchStack, database_url: str, nats_url: str
) -> tuple[int, float]:
    caught_up = await catch_up(workdir, stack, database_url, nats_url)
    return caught_up.events, caught_up.rate


async def catch_up(
    workdir: Path,
    stack: BenchStack,
    database_url: str,
    nats_url: str,
    events: int = 100_000,
    env: dict[str, str] | None = None,
) -> CatchUp:
    """A realistic mix recorded straight into the store and published by the relay, then
    applied by the projector service started afterwards: its own process, set up as
    deployed (its heap frozen after start-up, shared/heap.py). Timed from its first
    committed batch to the last event, so its start-up is not counted."""
    app = TaskstreamApplication(env=DatabaseAddress.parse(database_url).eventsourcing_env(2, 2))
    print(f"  recording ~{events:,} events for the projector …", flush=True)
    record_tasks(app, events)
    last = app.current_position()
    app.close()
    await _wait_published(stack, last)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        before = await _applied(conn)
        print(f"  projector applying {last - before} events …", flush=True)
        with services(workdir, database_url, nats_url, ("projector",), env=env):
            first = await _progress(conn, before)
            began, cpu = time.perf_counter(), _projector_cpu_seconds()
            position = first
            while position < last:
                position = await _progress(conn, position)
            elapsed, used = time.perf_counter() - began, _projector_cpu_seconds() - cpu
    return CatchUp(last - before, (last - first) / elapsed, (last - first) / max(used, 1e-9))


def _projector_cpu_seconds() -> float:
    """User and system CPU time of this process's projector child (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if cmdline[-2:-1] == [b"projector"] and int(fields[1]) == os.getpid():
            return (int(fields[11]) + int(fields[12])) / ticks
    raise RuntimeError("no projector process started by this benchmark")


async def _progress(conn: psycopg.AsyncConnection[tuple[Any, ...]], position: int) -> int:
    """The applied position once it passes `position`; a projector that stalls for a
    minute (it failed: see projector.log) ends the benchmark instead of hanging it."""
    deadline = time.monotonic() + 60
    while (applied := await _applied(conn)) <= position:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the projector applied nothing past {position} for 60 s")
        await asyncio.sleep(0.005)
    return applied


async def _applied(conn: psycopg.AsyncConnection[tuple[Any, ...]]) -> int:
    cur = await conn.execute(
        "SELECT position FROM projection_tracking WHERE name = %s", (TRACKING_NAME,)
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _wait_published(stack: BenchStack, position: int) -> None:
    def published() -> float:
        with urllib.request.urlopen(f"{stack.command_url}/metrics") as answer:  # noqa: S310
            text = answer.read().decode()
        for line in text.splitlines():
            if line.startswith("taskstream_relay_published_position "):
                return float(line.split()[1])
        return 0.0

    while await asyncio.to_thread(published) < position:  # noqa: ASYNC110 (polling a gauge)
        await asyncio.sleep(0.2)

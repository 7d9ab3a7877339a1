"""Write benchmark: commands through HTTP, group commit against the library's own save per
command (in process, as the command service records), and the relay's rate into JetStream."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import uvloop

from bench.load import Result, http_request, run_load, table
from bench.stack import servers, services
from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.domain.project import Project
from services.command.publishing.relay import Relay
from services.command.recording.group_commit import BatchWriter
from services.command.recording.library_saves import LibrarySaves
from services.command.recording.writer import ChangeWriter
from shared.background import background
from shared.database import DatabaseAddress
from shared.nats import connect
from shared.tokens import issue_token

CLIENTS = (1, 8, 32)


def run(workdir: Path, seconds: float) -> str:
    with servers(workdir) as (database_url, nats_url):
        with services(workdir, database_url, nats_url, ("command",)) as stack:
            http = uvloop.run(http_writes(stack.command_url, stack.secret, seconds))
        direct = [
            ("library's save() each (GROUP_COMMIT off)", _in_process(database_url, seconds, False)),
            ("group commit: BatchWriter", _in_process(database_url, seconds, True)),
        ]
        relay_events, rate = asyncio.run(relay_rate(database_url, nats_url))
    return "\n\n".join(
        [
            table("POST /api/v1/projects through HTTP (2 command workers, fsync on)", http),
            table("Recording one new project per command, in process, 32 clients", direct),
            f"relay into JetStream: {relay_events} events at {rate:,.0f} events/s",
        ]
    )


async def http_writes(
    url: str, secret: str, seconds: float, clients: tuple[int, ...] = CLIENTS
) -> list[tuple[str, Result]]:
    token = issue_token(secret, uuid4(), 3600, "bench")
    headers = {"X-Tenant-Token": token, "Content-Type": "application/json"}
    host, port, _ = http_request("POST", f"{url}/api/v1/projects", headers)

    def request(n: int) -> bytes:
        body = json.dumps({"name": f"project {n}"}).encode()
        return http_request("POST", f"{url}/api/v1/projects", headers, body)[2]

    await run_load(host, port, request, 8, 2.0, 201)
    rows = []
    for count in clients:
        print(f"  POST /projects with {count} clients for {seconds:.0f} s …", flush=True)
        rows.append(("POST /projects", await run_load(host, port, request, count, seconds, 201)))
    return rows


def _in_process(database_url: str, seconds: float, grouped: bool, clients: int = 32) -> Result:
    """32 clients on one event loop, each deciding a new project and recording it as the
    command service does: through the BatchWriter, or the library's save() on a thread."""
    label = "group commit" if grouped else "library's save()"
    print(f"  {label} with {clients} clients for {seconds:.0f} s …", flush=True)
    address = DatabaseAddress.parse(database_url)
    app = TaskstreamApplication(env=address.eventsourcing_env(40, 0))
    result = Result(clients, seconds)
    ctx = Context(uuid4(), "bench", datetime.now(UTC))
    try:
        uvloop.run(_record(app, address.conninfo() if grouped else None, ctx, result))
    finally:
        app.close()
    return result


async def _record(
    app: TaskstreamApplication, conninfo: str | None, ctx: Context, result: Result
) -> None:
    """Through a BatchWriter on `conninfo`, or (None) the library's save() per command."""
    batch_writer = BatchWriter(app, conninfo) if conninfo else None
    writer: ChangeWriter = batch_writer or LibrarySaves(app)
    deadline = time.perf_counter() + result.seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await writer.record(app.create_project(ctx, uuid4(), "bench", None).change)
            result.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    async with background(*([batch_writer.run()] if batch_writer else [])):
        await asyncio.gather(*(client() for _ in range(result.clients)))
    result.seconds = time.perf_counter() - started


async def relay_rate(
    database_url: str, nats_url: str, events: int = 100_000, *, fast_wire: bool = True
) -> tuple[int, float]:
    """Replays the whole store into an empty stream, as after a lost stream."""
    app = TaskstreamApplication(env=DatabaseAddress.parse(database_url).eventsourcing_env(2, 2))
    _fill(app, events)
    last = app.current_position()
    nc = await connect(nats_url, name="bench")
    js = nc.jetstream()
    for stream in await js.streams_info():
        if stream.config.name:
            await js.delete_stream(stream.config.name)
    await nc.close()
    print(f"  relay: publishing {last} events into an empty stream …", flush=True)
    relay = Relay(
        DatabaseAddress.parse(database_url).conninfo(), nats_url, "TASKSTREAM", fast_wire=fast_wire
    )
    task = asyncio.create_task(relay.run())
    started = time.perf_counter()
    while relay.published_position < last:  # noqa: ASYNC110 (polling a counter)
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    task.cancel()
    app.close()
    return last, last / elapsed


def _fill(app: TaskstreamApplication, events: int) -> None:
    """Brings the store to at least `events` events, 1,000 per transaction."""
    missing = events - app.current_position()
    ctx = Context(uuid4(), "bench", datetime.now(UTC))
    while missing > 0:
        batch = [Project.create(ctx, uuid4(), "filler", None) for _ in range(min(1000, missing))]
        app.save(*batch)
        missing -= len(batch)

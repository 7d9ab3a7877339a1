"""Read benchmark: the nested project view and the task list at 64 connections, the live
projector's sustained rate, and end-to-end lag (command answered -> visible in a query)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import uvloop

from bench.load import Connection, Result, http_request, run_load, steady_heap, table
from bench.projector import projector_rate
from bench.stack import BenchStack, servers, services
from shared.tokens import issue_token

CONNECTIONS = 64
# The query service with its answer cache off: every read goes to PostgreSQL, as a
# read of a view changed since it was last read does. Reads of the one project that
# start together still share a statement (services/query/batched.py).
UNCACHED = {"TASKSTREAM_FAST_PATHS_OFF": "answer_cache"}


ReadBack = Literal["list", "created"]
# The lag steps: commands paced at half the target's rate and at the target's.
LAG_STEPS: tuple[tuple[float, ReadBack], ...] = (
    (500.0, "list"),
    (1000.0, "list"),
    (1000.0, "created"),
)
"""(commands/s, what is read back): "list" is the tenant's tag list, which every waiting
read shares after a notice; "created" is each command's own new project, a read of
its own."""
WARMUP = 1.0


def run(workdir: Path, seconds: float) -> str:
    with servers(workdir) as (database_url, nats_url):
        with services(workdir, database_url, nats_url) as stack:
            tenant = uuid4()
            project = _seed_project(stack, tenant)
            reads = uvloop.run(_reads(stack, tenant, project, seconds, "kept in memory"))
            lags = [
                (rate, read, uvloop.run(_lag(stack, seconds, rate, read)))
                for rate, read in LAG_STEPS
            ]
        with services(workdir, database_url, nats_url, ("query",), env=UNCACHED) as stack:
            reads += uvloop.run(_reads(stack, tenant, project, seconds, "from PostgreSQL"))
        with services(workdir, database_url, nats_url, ("command",)) as stack:
            events, rate = uvloop.run(projector_rate(workdir, stack, database_url, nats_url))
    lines = [
        table(
            f"Query API at {CONNECTIONS} connections (2 query workers): the nested view of a"
            " project with 200 tasks x 3 tags, and a page of 50 of its tasks",
            sorted(reads, key=lambda row: row[0]),
        ),
        table(
            "End-to-end lag (command answered -> visible in a query), commands paced",
            [(f"{r:.0f}/s, {read} read: commands", commands) for r, read, (commands, _) in lags]
            + [(f"{r:.0f}/s, {read} read: lag", lag) for r, read, (_, lag) in lags],
        ),
        f"live projector: {events} events applied at {rate:,.0f} events/s",
    ]
    return "\n\n".join(lines)


def _call(stack: BenchStack, tenant: UUID, method: str, path: str, body: Any = None) -> Any:
    headers = {"X-Tenant-Token": issue_token(stack.secret, tenant, 3600, "bench")}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310
        f"{stack.command_url}/api/v1{path}", data=data, headers=headers, method=method
    )
    with urllib.request.urlopen(request) as answer:  # noqa: S310
        return json.loads(answer.read() or b"null"), answer.headers.get("X-Event-Position")


def _seed_project(stack: BenchStack, tenant: UUID) -> str:
    """One project with 200 tasks x 3 tags, created through the command API."""
    print("  seeding a project with 200 tasks x 3 tags …", flush=True)
    project, _ = _call(stack, tenant, "POST", "/projects", {"name": "big"})
    tags = [_call(stack, tenant, "POST", "/tags", {"name": f"tag {n}"})[0]["id"] for n in range(3)]
    position = "0"
    for n in range(200):
        _, position = _call(
            stack,
            tenant,
            "POST",
            f"/projects/{project['id']}/tasks",
            {"title": f"task {n}", "tag_ids": tags},
        )
    _wait_visible(stack, tenant, int(position))
    return str(project["id"])


def _wait_visible(stack: BenchStack, tenant: UUID, position: int) -> None:
    headers = {
        "X-Tenant-Token": issue_token(stack.secret, tenant, 3600, "bench"),
        "X-Min-Position": str(position),
    }
    for _ in range(60):
        request = urllib.request.Request(f"{stack.query_url}/api/v1/projects", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except urllib.error.HTTPError:
            continue
    raise RuntimeError(f"the read model did not reach position {position}")


def nested_view_rate(workdir: Path, seconds: float, fast_paths_off: str) -> float:
    """Nested views per second at CONNECTIONS with the fast paths `fast_paths_off`
    (TASKSTREAM_FAST_PATHS_OFF) off: the read measured by the machinery cases."""
    env = {"TASKSTREAM_FAST_PATHS_OFF": fast_paths_off}
    with (
        servers(workdir) as (database_url, nats_url),
        services(workdir, database_url, nats_url, env=env) as stack,
    ):
        tenant = uuid4()
        project = _seed_project(stack, tenant)
        path = f"/api/v1/projects/{project}"
        return uvloop.run(_load(stack, tenant, path, seconds, "nested view")).rate


async def _reads(
    stack: BenchStack, tenant: UUID, project: str, seconds: float, served: str
) -> list[tuple[str, Result]]:
    view = f"/api/v1/projects/{project}"
    return [
        (name, await _load(stack, tenant, path, seconds, name, gzip))
        for name, path, gzip in (
            (f"nested view, {served}", view, False),
            (f"nested view, {served}, gzip requested", view, True),
            (f"task page, {served}", f"/api/v1/tasks?project_id={project}&limit=50", False),
        )
    ]


async def _load(
    stack: BenchStack, tenant: UUID, path: str, seconds: float, name: str, gzip: bool = False
) -> Result:
    """GETs of `path` at CONNECTIONS, after a warm-up at 16; with `gzip`, asking for a
    compressed answer (Accept-Encoding: gzip)."""
    headers = {"X-Tenant-Token": issue_token(stack.secret, tenant, 3600, "bench")}
    if gzip:
        headers["Accept-Encoding"] = "gzip"
    host, port, raw = http_request("GET", f"{stack.query_url}{path}", headers)

    def request(_: int) -> bytes:
        return raw

    await run_load(host, port, request, 16, 2.0, 200)
    print(f"  {name} at {CONNECTIONS} connections for {seconds:.0f} s …", flush=True)
    return await run_load(host, port, request, CONNECTIONS, seconds, 200)


async def _lag(
    stack: BenchStack,
    seconds: float,
    rate: float = 1000.0,
    read: ReadBack = "list",
    warmup: float = WARMUP,
) -> tuple[Result, Result]:
    """POSTs paced at `rate`/s; every 10th is then read back (see LAG_STEPS), waiting for
    its position, on a connection of its own so that the pace does not wait for the
    read. 64 clients, so that each may take up to 64 ms at 1,000/s: with 32, answers
    slower than 32 ms held the pace near 930/s, and the lag was measured at a rate
    below the one named.

    Every connection is open before the pace starts, and the first `warmup` seconds
    are not measured: the step measures the steady state. Measured from the first
    command, the figures mixed in 128 connections being accepted by the busy services
    and the pipeline filling from idle: the worst samples of a run were then often
    all in its first 0.2 s."""
    tenant = uuid4()
    token = issue_token(stack.secret, tenant, 3600, "bench")
    clients = 64
    commands = Result(clients, seconds)
    lag = Result(clients, seconds)  # rates: what was sent in the measured window, per second
    interval = clients / rate
    command_host, command_port, _ = http_request("POST", stack.command_url, {})
    query_host, query_port, _ = http_request("GET", stack.query_url, {})
    print(
        f"  {rate:.0f} commands/s for {warmup:.0f} + {seconds:.0f} s, measuring lag"
        f" ({read} read) …",
        flush=True,
    )

    loop = asyncio.get_running_loop()
    _, _, post_head = http_request(
        "POST",
        f"{stack.command_url}/api/v1/projects",
        {"X-Tenant-Token": token, "Content-Type": "application/json"},
    )
    post_head = post_head[: post_head.index(b"Content-Length:")]

    async def read_back(
        reader: Connection,
        turn: asyncio.Lock,
        path: str,
        position: str,
        answered: float,
        measured: bool,
    ) -> None:
        _, _, query = http_request(
            "GET",
            f"{stack.query_url}{path}",
            {"X-Tenant-Token": token, "X-Min-Position": position},
        )
        async with turn:
            read_status = await reader.exchange(query)
        if not measured:
            return
        if read_status == 200:
            lag.latencies.append(time.perf_counter() - answered)
        else:
            lag.failures[read_status] = lag.failures.get(read_status, 0) + 1

    async def connect() -> tuple[Connection, Connection]:
        _, writer = await loop.create_connection(Connection, command_host, command_port)
        _, reader = await loop.create_connection(Connection, query_host, query_port)
        return writer, reader

    connections = await asyncio.gather(*(connect() for _ in range(clients)))

    async def client(index: int, writer: Connection, reader: Connection, start: float) -> None:
        measure_from = start + warmup
        deadline = measure_from + seconds
        turn = asyncio.Lock()
        reads: list[asyncio.Task[None]] = []
        next_at = start + index * interval / clients
        n = 0
        while time.perf_counter() < deadline:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += interval
            body = b'{"name": "lag %d-%d"}' % (index, n)
            raw = post_head + b"Content-Length: %d\r\n\r\n" % len(body) + body
            started = time.perf_counter()
            measured = started >= measure_from
            status = await writer.exchange(raw)
            answered = time.perf_counter()
            if status != 201:
                if measured:
                    commands.failures[status] = commands.failures.get(status, 0) + 1
                continue
            if measured:
                commands.latencies.append(answered - started)
            if n % 10 == 0:
                position = writer.header(b"x-event-position")
                location = writer.header(b"location")
                if position is None or location is None:
                    raise RuntimeError(
                        "a 201 from the command API without X-Event-Position or Location"
                    )
                # Location is the object's absolute URL on the query API.
                path = "/api/v1/tags" if read == "list" else urlsplit(location).path
                reads.append(
                    asyncio.create_task(read_back(reader, turn, path, position, answered, measured))
                )
            n += 1
        await asyncio.gather(*reads)
        writer.close()
        reader.close()

    with steady_heap():
        start = time.perf_counter()
        await asyncio.gather(*(client(i, *pair, start) for i, pair in enumerate(connections)))
    return commands, lag

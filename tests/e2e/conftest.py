"""The real processes: `taskstream command|projector|query` against the harness's servers.

They run as in production: the nats-server here admits only users signed by its
authority (shared/nats_authority.py), and each service connects with its own
least-privilege credentials (shared/nats_identities.py). What the tests themselves
do on NATS (reading the stream, deleting it, forging messages) they do as the
harness, an identity that may do anything (`Stack.nats_admin`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from services.dev.processes import answers_health
from shared import migrate
from shared.nats import ANONYMOUS, NatsCredentials
from shared.settings import Settings, service_environment
from tests.conftest import JWT_SECRET, delete_streams, fresh_database, secured_nats
from tests.support import HARNESS, until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


_PORT_SETTINGS = {"command": "TASKSTREAM_COMMAND_PORT", "query": "TASKSTREAM_QUERY_PORT"}


@dataclass(frozen=True)
class Replica:
    """One more `taskstream <service>` beside the stack's own, on a port of its own."""

    service: str
    url: str
    env: dict[str, str]


@dataclass
class Stack:
    command_url: str
    query_url: str
    database_url: str
    nats_url: str
    secret: str
    processes: dict[str, subprocess.Popen[bytes]]
    env: dict[str, str] = field(default_factory=dict)
    """Every service's settings but its NATS credentials (`env_of`)."""
    logs: Path = Path()
    replicas: dict[str, Replica] = field(default_factory=dict)
    log_starts: dict[str, int] = field(default_factory=dict)
    """Where each service's log stood when it was last started."""
    nats_credentials: dict[str, Path] = field(default_factory=dict)
    """Each service's NATS credentials file (none on a NATS that lets anyone in)."""
    nats_admin: NatsCredentials = ANONYMOUS
    """The harness's own NATS identity, which may do anything."""

    def env_of(self, service: str) -> dict[str, str]:
        """The settings `taskstream <service>` runs with here, its credentials included."""
        creds = self.nats_credentials.get(service)
        return self.env | ({"TASKSTREAM_NATS_CREDS": str(creds)} if creds else {})

    def start(self, name: str, *, wait: bool = True) -> None:
        """`taskstream <name>` (or the replica called `name`) in a session of its own, so
        that `crash` reaches its workers too; with `wait`, an HTTP service is waited for
        until healthy. Its output goes to `<name>.log`, appended across restarts."""
        replica = self.replicas.get(name)
        with (self.logs / f"{name}.log").open("ab") as out:
            self.log_starts[name] = out.tell()
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", replica.service if replica else name],
                env=replica.env if replica else self.env_of(name),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            self.wait_until_healthy(name)

    def start_replica(self, name: str, service: str) -> str:
        """Another command or query service on the same database and NATS, started and
        healthy; `start`, `crash` and the teardown know it by `name`. Returns its URL."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self.replicas[name] = Replica(
            service, url, {**self.env_of(service), _PORT_SETTINGS[service]: str(port)}
        )
        self.start(name)
        return url

    def url_of(self, name: str) -> str | None:
        if name in self.replicas:
            return self.replicas[name].url
        return {"command": self.command_url, "query": self.query_url}.get(name)

    def wait_until_healthy(self, name: str) -> None:
        """Until the service answers and every one of its workers has started: the
        first worker up answers health checks while another may still be connecting,
        and one whose start then fails (a database stopped by the test) stops them all.
        Counted from uvicorn's "Application startup complete" lines, logged at INFO."""
        url = self.url_of(name)
        if url is None:
            return
        log = self.logs / f"{name}.log"
        wait_until_healthy(url, self.processes[name], log)
        replica = self.replicas.get(name)
        service = replica.service if replica else name
        key = f"{service}_workers"
        env = replica.env if replica else self.env
        workers = int(env.get(f"TASKSTREAM_{key.upper()}", Settings.model_fields[key].default))

        def started() -> bool:
            with log.open("rb") as f:
                f.seek(self.log_starts.get(name, 0))
                return f.read().count(b"Application startup complete") >= workers

        until(started, within=30, what=f"all {workers} workers of {name} started", every=0.05)

    def companion_pids(self, name: str, companion: str) -> list[int]:
        """The processes that ran `companion` (e.g. "run_relay") beside the workers of the
        service `name`, oldest first, from the line each logs as it starts
        (shared/serving.py); the log is appended across restarts."""
        return [
            int(record["pid"])
            for line in (self.logs / f"{name}.log").read_text().splitlines()
            if line.startswith("{") and (record := json.loads(line)).get("companion") == companion
        ]

    def companion_pid(self, name: str, companion: str, within: float = 10.0) -> int:
        """The latest process that ran `companion` beside the service `name`, waited for:
        a service answers health checks before its companions have started."""
        pids = until(
            lambda: self.companion_pids(name, companion),
            within=within,
            what=f"companion {companion} in the log of {name}",
            every=0.05,
        )
        return pids[-1]

    def dead(self) -> dict[str, int]:
        """The services whose process has exited, with their exit codes."""
        return {
            name: code
            for name, process in self.processes.items()
            if (code := process.poll()) is not None
        }

    def crash(self, name: str) -> None:
        """SIGKILL to the service and its workers at once, as a lost machine would."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited at start-up:\n{log.read_text()[-3000:]}")
        return answers_health(url)

    try:
        until(healthy, within=30, what=f"{url} answering health checks", every=0.1)
    except AssertionError as e:
        raise RuntimeError(f"{e}:\n{log.read_text()[-3000:]}") from None


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    """The e2e tests' nats-server: it admits only the users its authority signed."""
    with secured_nats(tmp_path_factory) as server:
        yield server


@pytest.fixture
def nats_url(nats_server: EmbeddedNats) -> str:
    asyncio.run(delete_streams(nats_server.url, harness_credentials(nats_server)))
    return nats_server.url


def harness_credentials(nats: EmbeddedNats) -> NatsCredentials:
    """The harness's identity on `nats`: anything is allowed (and needed by no service)."""
    if nats.authority is None:
        return ANONYMOUS
    return NatsCredentials(creds_file=nats.authority.write_credentials("test-harness", HARNESS))


@contextlib.contextmanager
def stack_of_its_own(
    postgres_server: EmbeddedPostgres,
    template_url: str,
    nats: EmbeddedNats,
    logs: Path,
    **settings: object,
) -> Iterator[Stack]:
    """The three services on a fresh database of the harness's PostgreSQL."""
    with (
        fresh_database(postgres_server, template_url) as database_url,
        run_stack(database_url, nats, logs, **settings) as stack,
    ):
        yield stack


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest,
    postgres_server: EmbeddedPostgres,
    template_url: str,
    nats_server: EmbeddedNats,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """One stack for the module's tests, which use tenants of their own. A module that
    sets `STACK_SETTINGS` gets them for every service, over run_stack's defaults."""
    with stack_of_its_own(
        postgres_server,
        template_url,
        nats_server,
        tmp_path_factory.mktemp("logs"),
        **getattr(request.module, "STACK_SETTINGS", {}),
    ) as stack:
        yield stack


@pytest.fixture
def own_stack(
    postgres_server: EmbeddedPostgres, template_url: str, nats_server: EmbeddedNats, tmp_path: Path
) -> Iterator[Stack]:
    """A stack for one test alone: one that crashes or stops what others would share."""
    with stack_of_its_own(postgres_server, template_url, nats_server, tmp_path) as stack:
        yield stack


@contextlib.contextmanager
def run_stack(
    database_url: str, nats: EmbeddedNats, logs: Path, **settings: object
) -> Iterator[Stack]:
    """The three services as processes against a migrated database, on a nats-server with
    no streams left from earlier tests, each service with NATS credentials of its own
    when the server has an authority; stopped afterwards. `settings` are given to every
    service, over the defaults below."""
    nats_url = nats.url
    admin = harness_credentials(nats)
    asyncio.run(delete_streams(nats_url, admin))
    credentials: dict[str, Path] = {}
    if nats.authority is not None:
        stream = settings.get("nats_stream", Settings.model_fields["nats_stream"].default)
        credentials = nats.authority.write_service_credentials(str(stream))
    migrate.upgrade(database_url)
    command_port, query_port = free_port(), free_port()
    env = service_environment(
        **{
            "database_url": database_url,
            "nats_url": nats_url,
            "jwt_secret": JWT_SECRET,
            "command_port": command_port,
            "query_port": query_port,
            "query_public_url": f"http://127.0.0.1:{query_port}",
            "min_position_wait_seconds": 1,
            **settings,
        }
    )
    stack = Stack(
        f"http://127.0.0.1:{command_port}",
        f"http://127.0.0.1:{query_port}",
        database_url,
        nats_url,
        JWT_SECRET,
        {},
        env,
        logs,
        nats_credentials=credentials,
        nats_admin=admin,
    )
    try:
        for name in ("command", "projector", "query"):
            stack.start(name, wait=False)
        for name in ("command", "query"):
            stack.wait_until_healthy(name)
        yield stack
    finally:
        for process in stack.processes.values():
            process.terminate()
        for process in stack.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

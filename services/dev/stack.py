"""`taskstream dev`: the whole stack on one machine, started and stopped as one.

PostgreSQL and nats-server run from pip wheels with data under the data directory,
so a second run finds the first run's projects. nats-server admits only the users
signed with the keys kept there too (shared/nats_authority.py), and each service
connects as its own (shared/nats_identities.py). The three services run as separate
processes, exactly as in production; the supervisor stops every one of them on
Ctrl-C or SIGTERM, or when any one of them dies.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from uuid import UUID, uuid4

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from services.dev.processes import answers_health
from shared import migrate
from shared.lifetime import die_with_parent
from shared.nats_authority import NatsAuthority
from shared.port_claims import claim_port, port_setting
from shared.serving import STOP_SECONDS
from shared.settings import Settings, service_environment
from shared.tokens import issue_token

logger = logging.getLogger(__name__)
DATABASE = "taskstream"
SERVICES = ("command", "projector", "query")
# How long the banner waits for the APIs to answer (a first start also builds caches).
READY_TIMEOUT = 60.0
# A front end served by a dev server on this machine, on any port, may call both APIs.
DEV_ORIGINS = "http://localhost:*,http://127.0.0.1:*"


def run_dev_stack(settings: Settings) -> int:
    """PortTaken before anything starts if another process holds one of the APIs' ports
    (a service that loses a race for one at start-up refuses it, and the stack stops)."""
    for service in ("command", "query"):
        port = getattr(settings, f"{service}_port")
        claim_port(settings.host, port, port_setting(service)).release()
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = _kept_value(data_dir / "jwt_secret", lambda: secrets.token_urlsafe(48))
    tenant = UUID(_kept_value(data_dir / "dev_tenant", lambda: str(uuid4())))
    # A NATS of one's own (TASKSTREAM_NATS_URL) is reached with the settings' credentials.
    authority = None if settings.nats_url else NatsAuthority(settings.nats_auth_directory())
    stop = _StopSignal()
    with contextlib.ExitStack() as servers:
        database_url = settings.database_url or servers.enter_context(_postgres(data_dir))
        nats_url = settings.nats_url or servers.enter_context(_nats(data_dir, authority))
        credentials: dict[str, Path] = {}
        if authority is not None:
            credentials = authority.write_service_credentials(settings.nats_stream)
        migrate.upgrade(database_url)
        env = service_environment(
            database_url=database_url,
            nats_url=nats_url,
            jwt_secret=secret,
            query_public_url=settings.public_query_url(),
            cors_origins=settings.cors_origins or DEV_ORIGINS,
        )
        with _children(env, credentials) as children:
            apis = (_url(settings, settings.command_port), _url(settings, settings.query_port))
            ready = _wait_until_answering(apis, children, lambda: stop.received is not None)
            if all(child.poll() is None for child in children.values()):
                token = issue_token(
                    secret,
                    tenant,
                    None,
                    "dev",
                    audience=settings.jwt_audience,
                    issuer=settings.jwt_issuer,
                )
                _announce(settings, database_url, nats_url, token, ready, tenant)
            return _supervise(children, stop)
    return 0


def _url(settings: Settings, port: int) -> str:
    return f"http://{settings.host}:{port}"


def _wait_until_answering(
    urls: tuple[str, ...],
    children: dict[str, subprocess.Popen[bytes]],
    stopped: Callable[[], bool],
    timeout: float = READY_TIMEOUT,
) -> bool:
    """Whether every API answers /health, so that the commands printed next work when
    pasted at once; False if a service exited (the supervisor then stops the stack),
    Ctrl-C came, or `timeout` passed."""
    deadline = time.monotonic() + timeout
    waiting = list(urls)
    while waiting and not stopped() and time.monotonic() < deadline:
        if any(child.poll() is not None for child in children.values()):
            return False
        waiting = [url for url in waiting if not answers_health(url)]
        if waiting:
            time.sleep(0.1)
    return not waiting


@contextlib.contextmanager
def _postgres(data_dir: Path) -> Iterator[str]:
    server = EmbeddedPostgres(data_dir / "postgres")
    server.start()
    try:
        yield server.create_database(DATABASE)
    finally:
        server.stop()


@contextlib.contextmanager
def _nats(data_dir: Path, authority: NatsAuthority | None) -> Iterator[str]:
    server = EmbeddedNats(data_dir / "nats", authority=authority)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@contextlib.contextmanager
def _children(
    env: dict[str, str], credentials: dict[str, Path]
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Each service with its own NATS credentials, when the stack issued them."""
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in SERVICES:
            own = {"TASKSTREAM_NATS_CREDS": str(credentials[name])} if name in credentials else {}
            children[name] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", name],
                env=env | own,
                preexec_fn=die_with_parent(signal.SIGTERM),
            )
        yield children
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_SECONDS + 5
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("service did not stop in time; killing it", extra={"child": name})
                child.kill()
                child.wait()


class _StopSignal:
    def __init__(self) -> None:
        self.received: int | None = None
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _: FrameType | None) -> None:
        self.received = signum


def _supervise(children: dict[str, subprocess.Popen[bytes]], stop: _StopSignal) -> int:
    while stop.received is None:
        for name, child in children.items():
            if child.poll() is not None:
                logger.error(
                    "a service exited; stopping the stack",
                    extra={"child": name, "exit_code": child.returncode},
                )
                return 1
        time.sleep(0.2)
    logger.info("stopping the stack", extra={"signal": signal.Signals(stop.received).name})
    return 0


def _kept_value(path: Path, make: Callable[[], str]) -> str:
    """A value generated once and kept, so restarts keep the same secret and tenant."""
    if path.is_file():
        return path.read_text().strip()
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def _announce(
    settings: Settings, database_url: str, nats_url: str, token: str, ready: bool, tenant: UUID
) -> None:
    command = _url(settings, settings.command_port)
    query = _url(settings, settings.query_port)
    state = "is ready" if ready else "is still starting (the APIs do not answer yet)"
    secured = "" if settings.nats_url else f" (credentials in {settings.nats_auth_directory()})"
    operator_creds = (
        ""
        if settings.nats_url
        else "\n  export TASKSTREAM_NATS_CREDS="
        f"{(settings.nats_auth_directory() / 'creds' / 'command.creds').resolve()}"
    )
    print(
        f"""
taskstream dev stack {state}
  command API  {command}/docs
  query API    {query}/docs
  PostgreSQL   {database_url}
  NATS         {nats_url}{secured}

dev token (tenant in {settings.data_dir}/dev_tenant):
  export TOKEN={token}

  curl -s -X POST {command}/api/v1/projects -H "X-Tenant-Token: $TOKEN" \\
       -H 'Content-Type: application/json' -d '{{"name": "Launch"}}'
  curl -s {query}/api/v1/projects -H "X-Tenant-Token: $TOKEN"

operator commands (taskstream rebuild, republish, migrate) on this stack, from another shell:
  export TASKSTREAM_DATA_DIR={Path(settings.data_dir).resolve()}
  export TASKSTREAM_DATABASE_URL={database_url}
  export TASKSTREAM_NATS_URL={nats_url}{operator_creds}

a subscriber's NATS credentials for the dev tenant (docs/events.md):
  taskstream subscriber-credentials --tenant {tenant} --name NAME

Press Ctrl-C to stop.
""",
        flush=True,
    )

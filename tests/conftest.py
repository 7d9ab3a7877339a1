"""The test harness: one real PostgreSQL and one real nats-server per test run.

Both listen on ephemeral loopback ports with data in temporary directories and are
stopped at the end of the run. Each test that asks for `database_url` gets a fresh
database cloned from a migrated template; each test that asks for `nats_url` gets a
server with no streams left over from earlier tests. This nats-server lets anyone in:
the integration tests drive the relay and the projector in-process. The end-to-end
tests run the services on one that admits only the users it signed, each service as
its own (tests/e2e/conftest.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, TypeVar

import psycopg
import pytest

from services.command.application import TaskstreamApplication
from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from shared import migrate
from shared.database import DatabaseAddress
from shared.nats import ANONYMOUS, NatsCredentials, connect
from shared.nats_authority import NatsAuthority
from shared.settings import Settings

TEMPLATE = "taskstream_template"
JWT_SECRET = "test-secret-that-is-long-enough-for-hs256"
_database_numbers = itertools.count(1)


class Server(Protocol):
    def start(self) -> str: ...
    def stop(self) -> None: ...


S = TypeVar("S", bound=Server)


@contextlib.contextmanager
def started(server: S) -> Iterator[S]:
    """The server running for the block, stopped after it whatever happened in it."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def secured_nats(factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    """A nats-server that admits only the users its own authority signed."""
    authority = NatsAuthority(factory.mktemp("nats-auth"))
    with started(EmbeddedNats(factory.mktemp("nats"), authority=authority)) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    with started(EmbeddedPostgres(tmp_path_factory.mktemp("postgres") / "data", fast=True)) as pg:
        yield pg


@pytest.fixture(scope="session")
def template_url(postgres_server: EmbeddedPostgres) -> str:
    url = postgres_server.create_database(TEMPLATE)
    migrate.upgrade(url)
    return url


@contextlib.contextmanager
def fresh_database(server: EmbeddedPostgres, template_url: str) -> Iterator[str]:
    """A migrated database of its own, dropped afterwards."""
    name = f"test_{next(_database_numbers)}"
    admin = DatabaseAddress.parse(server.url).conninfo()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    try:
        yield template_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(postgres_server: EmbeddedPostgres, template_url: str) -> Iterator[str]:
    with fresh_database(postgres_server, template_url) as url:
        yield url


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    with started(EmbeddedNats(tmp_path_factory.mktemp("nats"))) as server:
        yield server


@pytest.fixture
def nats_url(nats_server: EmbeddedNats) -> str:
    asyncio.run(delete_streams(nats_server.url))
    return nats_server.url


async def delete_streams(url: str, credentials: NatsCredentials = ANONYMOUS) -> None:
    nc = await connect(url, name="test-harness", credentials=credentials)
    try:
        js = nc.jetstream()
        for stream in await js.streams_info():
            if stream.config.name:
                await js.delete_stream(stream.config.name)
    finally:
        await nc.close()


@pytest.fixture
def settings(database_url: str, nats_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        nats_url=nats_url,
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        data_dir=tmp_path,
    )


@pytest.fixture
def app(database_url: str) -> Iterator[TaskstreamApplication]:
    """The write side's application on this test's database."""
    application = TaskstreamApplication(
        env=DatabaseAddress.parse(database_url).eventsourcing_env(2, 2)
    )
    yield application
    application.close()

"""Each service's NATS identity (shared/nats_identities.py) lets its code do all it does,
and nats-server refuses it the rest, on a server that admits only the users its
authority signed, as `taskstream dev` and docker-compose run it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from uuid import uuid4

import nats
import pytest
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.api import StreamConfig

from services.command.application import TaskstreamApplication
from services.dev.nats import EmbeddedNats
from services.projector.consumer import Projector
from shared.database import DatabaseAddress
from shared.fast_paths import FastPath
from shared.nats import NatsCredentials, connect
from shared.pipeline_positions import stream_tail
from tests.conftest import delete_streams, secured_nats
from tests.integration.relaying import (
    ctx,
    genuine,
    make_relay,
    publish_raw,
    store_positions,
    wait_for_position,
)
from tests.integration.test_projector import wait_for_position as wait_until_applied
from tests.support import HARNESS, eventually, running

TENANT = uuid4()
STREAM = "TASKSTREAM"


@dataclass(frozen=True)
class Identities:
    url: str
    harness: NatsCredentials
    command: NatsCredentials
    projector: NatsCredentials
    query: NatsCredentials


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    with secured_nats(tmp_path_factory) as server:
        yield server


@pytest.fixture
def identities(secured: EmbeddedNats) -> Identities:
    assert secured.authority is not None
    files = secured.authority.write_service_credentials(STREAM)
    harness = NatsCredentials(secured.authority.write_credentials("test-harness", HARNESS))
    asyncio.run(delete_streams(secured.url, harness))
    return Identities(
        secured.url,
        harness,
        **{service: NatsCredentials(path) for service, path in files.items()},
    )


def violations(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What nats-server refused the clients, as shared/nats.py logs it (nats-py
    lowercases the server's words)."""
    return [
        str(getattr(r, "error", ""))
        for r in caplog.records
        if r.getMessage() == "nats reported an error"
        and "permissions violation" in str(getattr(r, "error", "")).lower()
    ]


async def test_a_client_without_credentials_is_refused(identities: Identities) -> None:
    with pytest.raises(NatsError, match=r"(?i)authorization"):
        await nats.connect(identities.url, allow_reconnect=False, connect_timeout=2)


async def test_the_relay_publishes_and_reconciles_as_the_command_identity(
    app: TaskstreamApplication,
    database_url: str,
    identities: Identities,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A foreign message makes the relay's next batch refused, and it reconciles by
    reading the stream through a consumer of its own: every call it makes."""
    url, harness = identities.url, identities.harness
    project = uuid4()
    first = app.record(app.create_project(ctx(TENANT), project, "before", None))
    with caplog.at_level(logging.INFO):
        relay = make_relay(database_url, url, credentials=identities.command)
        async with running(relay):
            await wait_for_position(url, first, credentials=harness)
            await publish_raw(url, "taskstream.events.junk.x.y", b"{}", credentials=harness)
            last = app.record(app.update_project(ctx(TENANT), project, None, "renamed", "d"))
            events = await wait_for_position(url, last, credentials=harness)
    assert genuine(events, database_url) == store_positions(database_url)
    assert any(
        r.getMessage() == "publish refused; reconciling with the stream" for r in caplog.records
    )
    assert violations(caplog) == []


@pytest.mark.parametrize("fast", [True, False], ids=["pull-feed", "library-feed"])
async def test_the_projector_waits_for_the_stream_and_applies_events_as_its_identity(
    app: TaskstreamApplication,
    database_url: str,
    identities: Identities,
    caplog: pytest.LogCaptureFixture,
    fast: bool,
) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    projector = Projector(
        conninfo,
        identities.url,
        STREAM,
        fast=lambda path: fast or path != FastPath.PULL_FEED,
        credentials=identities.projector,
    )
    relay = make_relay(database_url, identities.url, credentials=identities.command)
    with caplog.at_level(logging.INFO):
        async with running(projector):

            async def waiting() -> bool:
                return any(
                    r.getMessage() == "waiting for the relay to create the stream"
                    for r in caplog.records
                )

            await eventually(waiting, what="the projector waiting for the stream")
            position = app.record(app.create_project(ctx(TENANT), uuid4(), "seen", None))
            async with running(relay):
                await wait_until_applied(database_url, position)
    assert violations(caplog) == []


async def test_the_probes_read_the_stream_tail_as_the_services_identities(
    app: TaskstreamApplication, database_url: str, identities: Identities
) -> None:
    position = app.record(app.create_project(ctx(TENANT), uuid4(), "tail", None))
    async with running(make_relay(database_url, identities.url, credentials=identities.command)):
        await wait_for_position(identities.url, position, credentials=identities.harness)
    for credentials in (identities.query, identities.command):
        nc = await connect(identities.url, name="test-probes", credentials=credentials)
        try:
            tail = await stream_tail(nc, STREAM)
        finally:
            await nc.close()
        assert tail is not None and tail.last_position == position


Attempt = Callable[[Client], Awaitable[object]]


async def _publish_event(nc: Client) -> None:
    await nc.publish(f"taskstream.events.{TENANT}.project.ProjectCreated", b"{}")
    await nc.flush()


async def _update_stream(nc: Client) -> None:
    await nc.jetstream(timeout=1).update_stream(StreamConfig(name=STREAM, max_msgs=1))


async def _purge_stream(nc: Client) -> None:
    await nc.jetstream(timeout=1).purge_stream(STREAM)


async def _delete_stream(nc: Client) -> None:
    await nc.jetstream(timeout=1).delete_stream(STREAM)


REFUSED: list[tuple[str, str, Attempt]] = [
    *[(service, "publish an event", _publish_event) for service in ("projector", "query")],
    *[(service, "update the stream", _update_stream) for service in ("projector", "query")],
    *[
        (service, what, attempt)
        for service in ("command", "projector", "query")
        for what, attempt in (("purge the stream", _purge_stream), ("delete it", _delete_stream))
    ],
]


@pytest.mark.parametrize(
    ("service", "what", "attempt"), REFUSED, ids=[f"{s}: {w}" for s, w, _ in REFUSED]
)
async def test_what_an_identity_does_not_need_is_refused(
    app: TaskstreamApplication,
    database_url: str,
    identities: Identities,
    caplog: pytest.LogCaptureFixture,
    service: str,
    what: str,
    attempt: Attempt,
) -> None:
    position = app.record(app.create_project(ctx(TENANT), uuid4(), "kept", None))
    async with running(make_relay(database_url, identities.url, credentials=identities.command)):
        await wait_for_position(identities.url, position, credentials=identities.harness)
    credentials: NatsCredentials = getattr(identities, service)
    with caplog.at_level(logging.WARNING):
        nc = await connect(identities.url, name=f"test-{service}", credentials=credentials)
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(1.5):
                    await attempt(nc)
                    await asyncio.Event().wait()  # a core publish has no answer to wait for

            async def reported() -> list[str]:
                return violations(caplog)

            await eventually(reported, what=f"nats-server refusing {service} to {what}")
        finally:
            await nc.close()
    assert [
        e.position
        for e in await wait_for_position(identities.url, position, credentials=identities.harness)
    ] == [position]

"""NATS in `taskstream dev` admits only the users its keys signed, and a subscriber's
credentials (`taskstream subscriber-credentials`) read that tenant's events and do
nothing else: nats-server itself refuses the rest (DESIGN: subscribers)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import nats
import pytest
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig

from services.dev.processes import free_port
from shared.events.identity import Identity
from shared.tokens import issue_token
from tests.e2e.dev_stacks import dev_environment, dev_stack
from tests.support import eventually, until

pytestmark = pytest.mark.e2e
START_SECONDS = 120
STREAM = "TASKSTREAM"


@dataclass(frozen=True)
class DevStack:
    env: dict[str, str]
    data_dir: Path
    command_url: str
    nats_url: str

    def create(self, tenant: UUID, path: str, body: dict[str, str]) -> httpx.Response:
        secret = (self.data_dir / "jwt_secret").read_text().strip()
        answer = httpx.post(
            f"{self.command_url}/api/v1{path}",
            json=body,
            headers={"X-Tenant-Token": issue_token(secret, tenant, 600)},
        )
        assert answer.status_code == 201, answer.text
        return answer

    def project_with_tasks(self, tenant: UUID, tasks: int) -> list[int]:
        """The positions of a project's creation and its tasks', through the command API."""
        project = self.create(tenant, "/projects", {"name": "watched"})
        answers = [project] + [
            self.create(tenant, f"/projects/{project.json()['id']}/tasks", {"title": f"t{n}"})
            for n in range(tasks)
        ]
        return [int(answer.headers["X-Event-Position"]) for answer in answers]

    def subscriber_credentials(self, tenant: UUID, name: str, *extra: str) -> Grant:
        out = self.data_dir / f"{name}-{tenant}.creds"
        options = ["--tenant", str(tenant), "--name", name, "--out", str(out), *extra]
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "subscriber-credentials", *options],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        fields = dict(
            re.findall(r"^  (consumer|filter subject|inbox prefix) +(\S+)", done.stdout, re.M)
        )
        (expires,) = re.findall(r"valid until (\S+)$", done.stdout.splitlines()[0])
        return Grant(
            out, fields["consumer"], fields["filter subject"], fields["inbox prefix"], expires
        )


@dataclass(frozen=True)
class Grant:
    creds: Path
    consumer: str
    filter_subject: str
    inbox_prefix: str
    expires: str


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    data_dir = tmp_path_factory.mktemp("dev")
    command_port = free_port()
    env = dev_environment(data_dir, command_port, free_port())
    log = data_dir / "dev.log"
    with dev_stack(env, log):
        banner = until(
            lambda: re.search(r"NATS +(nats://\S+)", log.read_text()),
            within=START_SECONDS,
            what="the dev stack's banner",
        )
        yield DevStack(env, data_dir, f"http://127.0.0.1:{command_port}", banner[1])


class Subscriber:
    """A nats-py client as a subscriber connects it, with what nats-server refused it."""

    def __init__(self) -> None:
        self.refused: list[str] = []
        self.nc: Client | None = None

    async def connect(self, url: str, grant: Grant) -> Client:
        async def on_error(error: Exception) -> None:
            self.refused.append(str(error))

        self.nc = await nats.connect(
            url,
            user_credentials=str(grant.creds),
            inbox_prefix=grant.inbox_prefix,
            error_cb=on_error,
            allow_reconnect=False,
        )
        return self.nc

    async def refusal(self, subject: str) -> str:
        """nats-server's refusal naming `subject`, waited for (it comes asynchronously;
        nats-py lowercases it)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for said in self.refused:
                if "permissions violation" in said and f'"{subject.lower()}"' in said:
                    return said
            await asyncio.sleep(0.02)
        raise AssertionError(f"nothing refused {subject}; refused: {self.refused}")


@pytest.fixture
async def subscriber() -> AsyncIterator[Subscriber]:
    client = Subscriber()
    yield client
    if client.nc is not None and not client.nc.is_closed:
        await client.nc.close()


async def receive(nc: Client, grant: Grant, last: int) -> list[Identity]:
    """The events of the subscriber's durable consumer up to position `last`, each acked
    and the ack confirmed; then nothing more arrives."""
    sub = await nc.jetstream().pull_subscribe(
        grant.filter_subject,
        durable=grant.consumer,
        stream=STREAM,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT),
    )
    received: list[Identity] = []
    deadline = time.monotonic() + 30
    while last not in [e.position for e in received] and time.monotonic() < deadline:
        try:
            messages = await sub.fetch(10, timeout=1)
        except TimeoutError:
            continue
        for message in messages:
            assert message.subject.startswith(grant.filter_subject[:-1]), message.subject
            received.append(Identity.from_bytes(message.data))
            await message.ack_sync()
    with pytest.raises(TimeoutError):
        await sub.fetch(1, timeout=1)
    return received


async def stream_size(dev: DevStack) -> int:
    """How many messages the stream holds, asked as the query service (read-only)."""
    nc = await nats.connect(
        dev.nats_url, user_credentials=str(dev.data_dir / "nats-auth/creds/query.creds")
    )
    try:
        return int((await nc.jetstream().stream_info(STREAM)).state.messages)
    finally:
        await nc.close()


async def test_a_connection_without_credentials_is_refused(dev: DevStack) -> None:
    with pytest.raises(NatsError, match=r"(?i)authorization"):
        await nats.connect(dev.nats_url, allow_reconnect=False, connect_timeout=2)


async def test_a_subscriber_receives_exactly_its_tenants_events_and_nothing_else(
    dev: DevStack, subscriber: Subscriber
) -> None:
    alice, bob = uuid4(), uuid4()
    alices = dev.project_with_tasks(alice, 2)
    bobs = dev.project_with_tasks(bob, 1)
    grant = dev.subscriber_credentials(alice, "billing")
    assert grant.consumer == f"billing-{alice}"
    nc = await subscriber.connect(dev.nats_url, grant)

    received = await receive(nc, grant, alices[-1])

    assert set(alices) <= {event.position for event in received}
    assert {event.tenant_id for event in received} == {str(alice)}
    info = await nc.jetstream().consumer_info(STREAM, grant.consumer)
    assert info.config.durable_name == grant.consumer
    assert info.config.filter_subject == f"taskstream.events.{alice}.>"
    assert not set(alices) & set(bobs)
    assert subscriber.refused == []


async def test_a_subscriber_is_refused_a_consumer_on_another_tenants_events(
    dev: DevStack, subscriber: Subscriber
) -> None:
    alice, bob = uuid4(), uuid4()
    grant = dev.subscriber_credentials(alice, "billing")
    nc = await subscriber.connect(dev.nats_url, grant)
    js = nc.jetstream(timeout=1)
    for wider in (f"taskstream.events.{bob}.>", "taskstream.events.>"):
        config = ConsumerConfig(name=grant.consumer, durable_name=grant.consumer)
        with pytest.raises(TimeoutError):
            await js.add_consumer(STREAM, config, filter_subject=wider)
        await subscriber.refusal(f"$JS.API.CONSUMER.CREATE.{STREAM}.{grant.consumer}.{wider}")
    for other_way in (
        f"$JS.API.CONSUMER.DURABLE.CREATE.{STREAM}.{grant.consumer}",
        f"$JS.API.CONSUMER.CREATE.{STREAM}.{grant.consumer}",
        f"$JS.API.CONSUMER.CREATE.{STREAM}",
    ):
        await nc.publish(other_way, b"{}")
        await subscriber.refusal(other_way)
    # The one subject it may create by, with another filter in the request: nats-server
    # holds the request to the filter its subject names.
    allowed = f"$JS.API.CONSUMER.CREATE.{STREAM}.{grant.consumer}.{grant.filter_subject}"
    request = {
        "stream_name": STREAM,
        "config": {"durable_name": grant.consumer, "filter_subject": "taskstream.events.>"},
    }
    answer = json.loads((await nc.request(allowed, json.dumps(request).encode(), 2)).data)
    assert answer["error"]["err_code"] == 10131, answer  # filter subject mismatch
    request["config"] = {"durable_name": grant.consumer, "filter_subjects": [">"]}
    answer = json.loads((await nc.request(allowed, json.dumps(request).encode(), 2)).data)
    assert "error" in answer, answer


async def test_a_subscriber_is_refused_any_publish(dev: DevStack, subscriber: Subscriber) -> None:
    alice = uuid4()
    dev.project_with_tasks(alice, 0)
    grant = dev.subscriber_credentials(alice, "forger")
    held = await eventually(lambda: stream_size(dev), what="events in the stream")
    nc = await subscriber.connect(dev.nats_url, grant)
    forged = f"taskstream.events.{alice}.project.ProjectCreated"
    with pytest.raises(TimeoutError):
        await nc.jetstream(timeout=1).publish(forged, b"{}")
    await subscriber.refusal(forged)
    for subject in (
        f"$JS.API.STREAM.PURGE.{STREAM}",
        f"$JS.API.STREAM.DELETE.{STREAM}",
        f"$JS.API.STREAM.UPDATE.{STREAM}",
        f"$JS.API.STREAM.MSG.DELETE.{STREAM}",
        f"$JS.API.STREAM.INFO.{STREAM}",
        "$JS.API.INFO",
    ):
        with pytest.raises(TimeoutError):
            await nc.request(subject, b"{}", timeout=1)
        await subscriber.refusal(subject)
    # Its own consumer may push to any subject, the stream's API included; nats-server
    # sees no one listening there, so nothing is delivered (and its API answers only
    # requests that carry a client's identity).
    pushing = ConsumerConfig(
        name=grant.consumer,
        durable_name=grant.consumer,
        filter_subject=grant.filter_subject,
        deliver_subject=f"$JS.API.STREAM.PURGE.{STREAM}",
    )
    created = await nc.jetstream().add_consumer(STREAM, pushing)
    assert not created.push_bound and (created.num_pending or 0) >= 1
    assert await stream_size(dev) == held


async def test_a_subscriber_cannot_read_another_tenants_durable(
    dev: DevStack, subscriber: Subscriber
) -> None:
    alice, bob = uuid4(), uuid4()
    bobs = dev.project_with_tasks(bob, 1)
    bobs_grant = dev.subscriber_credentials(bob, "billing")
    bob_client = Subscriber()
    bob_nc = await bob_client.connect(dev.nats_url, bobs_grant)
    try:
        received = await receive(bob_nc, bobs_grant, bobs[-1])  # it exists, and is bob's
    finally:
        await bob_nc.close()
    assert {event.tenant_id for event in received} == {str(bob)}

    grant = dev.subscriber_credentials(alice, "billing")
    nc = await subscriber.connect(dev.nats_url, grant)
    js = nc.jetstream(timeout=1)
    with pytest.raises(TimeoutError):
        await js.consumer_info(STREAM, bobs_grant.consumer)
    await subscriber.refusal(f"$JS.API.CONSUMER.INFO.{STREAM}.{bobs_grant.consumer}")
    sub = await js.pull_subscribe_bind(bobs_grant.consumer, STREAM)
    with pytest.raises(TimeoutError):
        await sub.fetch(1, timeout=1)
    await subscriber.refusal(f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.{bobs_grant.consumer}")
    for snooping in ("_INBOX.>", f"{bobs_grant.inbox_prefix}.>", "taskstream.events.>"):
        await nc.subscribe(snooping)
        await subscriber.refusal(snooping)


async def test_expired_subscriber_credentials_are_refused(dev: DevStack) -> None:
    grant = dev.subscriber_credentials(uuid4(), "brief", "--ttl", "1")
    expires = datetime.fromisoformat(grant.expires).timestamp()
    until(lambda: time.time() > expires + 1, within=5, what="the credentials expired")
    with pytest.raises(NatsError, match=r"(?i)authorization"):
        await nats.connect(
            dev.nats_url,
            user_credentials=str(grant.creds),
            allow_reconnect=False,
            connect_timeout=2,
        )

"""Helpers for the relay's tests: relays in process or as processes, and what the stream
holds, told apart from messages that taskstream did not publish."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from services.command.domain.base import Context
from services.command.publishing.relay import Relay
from shared.database import DatabaseAddress
from shared.events.envelope import EventEnvelope
from shared.events.identity import InvalidEnvelope
from shared.nats import ANONYMOUS, NatsCredentials, connect
from tests.support import eventually, published_event, stream_messages


def ctx(tenant: UUID) -> Context:
    return Context(tenant, "tester", datetime.now(UTC))


def make_relay(database_url: str, nats_url: str, **options: Any) -> Relay:
    return Relay(DatabaseAddress.parse(database_url).conninfo(), nats_url, "TASKSTREAM", **options)


async def stream_events(
    nats_url: str, credentials: NatsCredentials = ANONYMOUS
) -> list[EventEnvelope]:
    """Every message in the stream that reads as a taskstream event, in stream order;
    foreign ones are left out (forged ones are not: compare with the store)."""
    events = []
    for message in await stream_messages(nats_url, credentials=credentials):
        with contextlib.suppress(InvalidEnvelope):
            events.append(published_event(message.data))
    return events


async def wait_for_position(
    nats_url: str,
    position: int,
    *,
    within: float = 10.0,
    credentials: NatsCredentials = ANONYMOUS,
) -> list[EventEnvelope]:
    """The stream's events once one at `position` is among them."""

    async def arrived() -> bool:
        events = await stream_events(nats_url, credentials)
        return any(e.position == position for e in events)

    await eventually(arrived, what=f"the event at position {position} in JetStream", within=within)
    return await stream_events(nats_url, credentials)


async def publish_raw(
    nats_url: str,
    subject: str,
    data: bytes,
    headers: dict[str, str] | None = None,
    credentials: NatsCredentials = ANONYMOUS,
) -> int:
    """Publishes as someone other than the relay would; returns the stream sequence."""
    nc = await connect(nats_url, name="test-outsider", credentials=credentials)
    try:
        ack = await nc.jetstream().publish(subject, data, headers=headers)
        return ack.seq
    finally:
        await nc.close()


def store_positions(database_url: str) -> list[int]:
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        rows = conn.execute("SELECT notification_id FROM taskstream_events ORDER BY 1")
        return [row[0] for row in rows]


def genuine(events: list[EventEnvelope], database_url: str) -> list[int]:
    """The positions of the events the store holds, in stream order."""
    stored = set(store_positions(database_url))
    return [e.position for e in events if e.position in stored]


RELAY_PROCESS = (
    "from shared import logs; from shared.settings import Settings;"
    " from services.command.publishing.relay import run_relay;"
    " logs.configure('relay', 'INFO'); run_relay(Settings())"
)


@contextlib.contextmanager
def relay_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`run_relay` in a process of its own, as the command service runs it; stopped (and
    continued first, should a test have frozen it) at the end."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", RELAY_PROCESS], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

"""Relay leadership across processes: a frozen or dead leader hands over to a standby,
and whatever a deposed leader publishes late keeps the stream in the store's order."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from services.command.application import TaskstreamApplication
from services.command.publishing import batches
from services.command.publishing import relay as relay_module
from shared.settings import service_environment
from tests.integration.relaying import (
    ctx,
    make_relay,
    relay_process,
    store_positions,
    wait_for_position,
)
from tests.support import eventually, running

TENANT = uuid4()
TAKEOVER_SECONDS = 15.0


def relay_env(database_url: str, nats_url: str) -> dict[str, str]:
    """The relay's settings as a deployment has them: the lease timings are the defaults."""
    return service_environment(database_url=database_url, nats_url=nats_url)


def _contains(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text()


async def logged(log: Path, text: str) -> None:
    async def appears() -> bool:
        return _contains(log, text)

    await eventually(appears, what=f"{text!r} in {log.name}", within=15)


@contextlib.asynccontextmanager
async def steady_commands(app: TaskstreamApplication) -> AsyncIterator[list[int]]:
    """Records one new project after another on a thread for the block; yields their
    positions so far."""
    positions: list[int] = []
    done = asyncio.Event()

    async def write() -> None:
        while not done.is_set():
            decision = app.create_project(ctx(TENANT), uuid4(), "steady", None)
            positions.append(await asyncio.to_thread(app.record, decision))

    task = asyncio.create_task(write())
    try:
        yield positions
    finally:
        done.set()
        await task


async def test_a_frozen_leader_loses_publishing_to_the_standby_within_15_s(
    app: TaskstreamApplication, database_url: str, nats_url: str, tmp_path: Path
) -> None:
    """Regression (issue 16, finding 12): the leader held a session advisory lock, which a
    frozen (SIGSTOP) process keeps for as long as it is frozen."""
    env = relay_env(database_url, nats_url)
    first = app.record(app.create_project(ctx(TENANT), uuid4(), "first", None))
    with relay_process(env, tmp_path / "a.log") as leader:
        await wait_for_position(nats_url, first)
        with relay_process(env, tmp_path / "b.log"):
            await logged(tmp_path / "b.log", "standing by")
            async with steady_commands(app) as positions:
                await eventually(lambda: _more_than(positions, 20), what="commands under way")
                os.kill(leader.pid, signal.SIGSTOP)
                frozen_at = time.monotonic()
                during = app.record(app.create_project(ctx(TENANT), uuid4(), "during", None))
                await wait_for_position(nats_url, during, within=TAKEOVER_SECONDS)
                took_over_in = time.monotonic() - frozen_at
                os.kill(leader.pid, signal.SIGCONT)
                resumed_with = len(positions)
                await eventually(lambda: _more_than(positions, resumed_with + 20))
            after = app.record(app.create_project(ctx(TENANT), uuid4(), "after", None))
            events = await wait_for_position(nats_url, after)
            await logged(tmp_path / "a.log", "standing by")

    assert took_over_in < TAKEOVER_SECONDS
    assert [e.position for e in events] == store_positions(database_url)
    assert {first, during, after} | set(positions) <= set(store_positions(database_url))


async def _more_than(positions: list[int], count: int) -> bool:
    return len(positions) > count


async def test_a_killed_leader_hands_over_at_once(
    app: TaskstreamApplication, database_url: str, nats_url: str, tmp_path: Path
) -> None:
    """A leader whose database session is gone has gone: the standby need not wait out
    the lease."""
    env = relay_env(database_url, nats_url)
    first = app.record(app.create_project(ctx(TENANT), uuid4(), "first", None))
    with relay_process(env, tmp_path / "a.log") as leader:
        await wait_for_position(nats_url, first)
        with relay_process(env, tmp_path / "b.log"):
            await logged(tmp_path / "b.log", "standing by")
            leader.kill()
            leader.wait()
            killed_at = time.monotonic()
            after = app.record(app.create_project(ctx(TENANT), uuid4(), "after", None))
            events = await wait_for_position(nats_url, after, within=TAKEOVER_SECONDS)
            took_over_in = time.monotonic() - killed_at

    assert took_over_in < 5
    assert [e.position for e in events] == [first, after]


async def test_a_deposed_leaders_late_batch_is_fenced_off(
    app: TaskstreamApplication, database_url: str, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst moment to freeze: with a batch read and about to go out. The standby
    takes over and publishes that batch; the old leader's copy, sent when it runs
    again, must not land, and the old leader must stand down."""
    held, resume = asyncio.Event(), asyncio.Event()
    hold_next = [False]
    send_batch = batches.send_batch

    async def held_once(*args: Any, **kwargs: Any) -> batches.Sent:
        if hold_next[0]:
            hold_next[0] = False
            held.set()
            await resume.wait()
        return await send_batch(*args, **kwargs)

    monkeypatch.setattr(relay_module, "send_batch", held_once)
    old, new = (make_relay(database_url, nats_url, lease_seconds=1.0) for _ in range(2))
    first = app.record(app.create_project(ctx(TENANT), uuid4(), "first", None))
    async with running(old):
        await wait_for_position(nats_url, first)
        hold_next[0] = True
        late = app.record(app.create_project(ctx(TENANT), uuid4(), "late", None))
        await eventually(_set(held), what="the old leader holding its batch")
        async with running(new):
            await wait_for_position(nats_url, late)
            resume.set()
            await eventually(_not_leading(old), what="the old leader standing down")
            after = app.record(app.create_project(ctx(TENANT), uuid4(), "after", None))
            events = await wait_for_position(nats_url, after)
            assert new.is_leader

    assert [e.position for e in events] == store_positions(database_url) == [first, late, after]


def _set(event: asyncio.Event) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return event.is_set()

    return check


def _not_leading(relay: relay_module.Relay) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not relay.is_leader

    return check

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.synchronize import Event
from typing import Any

import pytest

from shared import serving
from shared.coalesced_writes import CoalescingTransport


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = False

    def writelines(self, pieces: list[bytes]) -> None:
        self.sent.append(b"".join(pieces))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return f"info {name}"


def coalescing(loop: asyncio.AbstractEventLoop) -> tuple[CoalescingTransport, RecordingTransport]:
    real = RecordingTransport()
    return CoalescingTransport(real, loop), real  # type: ignore[arg-type]


def test_writes_of_one_iteration_leave_in_one_send_in_order() -> None:
    async def run() -> list[bytes]:
        transport, real = coalescing(asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert real.sent == []
        await asyncio.sleep(0)
        transport.write(b"next")
        await asyncio.sleep(0)
        return real.sent

    assert asyncio.run(run()) == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]


def test_close_sends_what_is_pending_first_and_nothing_goes_after() -> None:
    async def run() -> tuple[list[bytes], bool]:
        transport, real = coalescing(asyncio.get_running_loop())
        transport.write(b"last words")
        transport.close()
        transport.write(b"too late")
        await asyncio.sleep(0)
        return real.sent, real.closed

    assert asyncio.run(run()) == ([b"last words"], True)


def test_everything_else_is_the_real_transport() -> None:
    async def run() -> Any:
        transport, _ = coalescing(asyncio.get_running_loop())
        return transport.get_extra_info("peername")

    assert asyncio.run(run()) == "info peername"


def _ignores_sigterm(ready: Event) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    time.sleep(600)


def _exits_at_once() -> None:
    pass


@pytest.mark.parametrize("stopped_by", ["a signal", "another child's exit"])
def test_the_supervisor_kills_a_child_that_does_not_stop(
    stopped_by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The supervisor is told to stop (SIGTERM), or one child exits, and the other's
    shutdown hangs (here it ignores SIGTERM): past STOP_SECONDS it is killed. Told to
    stop, the supervisor used to wait for it forever."""
    monkeypatch.setattr(serving, "STOP_SECONDS", 1.0)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    stubborn = context.Process(target=_ignores_sigterm, args=(ready,))
    stubborn.start()
    assert ready.wait(30)
    children = [stubborn]
    if stopped_by == "a signal":
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    else:
        children.append(context.Process(target=_exits_at_once))
        children[-1].start()
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    started = time.monotonic()
    try:
        code = serving._supervise(children)
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
    assert code == (0 if stopped_by == "a signal" else 1)
    assert not stubborn.is_alive()
    assert stubborn.exitcode == -signal.SIGKILL
    assert time.monotonic() - started < 10

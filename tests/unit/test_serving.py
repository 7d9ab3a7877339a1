from __future__ import annotations

import asyncio
import multiprocessing
import signal
import time
from multiprocessing.synchronize import Event
from typing import Any

import pytest

from shared import serving
from shared.serving import CoalescingTransport


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


def test_the_supervisor_kills_a_child_that_does_not_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """One child exits, so the supervisor stops the other, whose shutdown hangs (here it
    ignores SIGTERM): past STOP_SECONDS it is killed, not waited for forever."""
    monkeypatch.setattr(serving, "STOP_SECONDS", 1.0)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    stubborn = context.Process(target=_ignores_sigterm, args=(ready,))
    stubborn.start()
    assert ready.wait(30)
    quitter = context.Process(target=_exits_at_once)
    quitter.start()
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    started = time.monotonic()
    try:
        code = serving._supervise([stubborn, quitter])
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
    assert code == 1, "a child that exited unasked is a failure"
    assert not stubborn.is_alive()
    assert stubborn.exitcode == -signal.SIGKILL
    assert time.monotonic() - started < 10

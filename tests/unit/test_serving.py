from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.synchronize import Event

import pytest

from shared import serving


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
    shutdown hangs (here it ignores SIGTERM): past STOP_SECONDS it is killed."""
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

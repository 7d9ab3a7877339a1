"""How service processes end: with their parent, and on a signal.

A test runner, `taskstream dev` or a service supervisor killed with SIGKILL must not
leave servers or workers behind. Linux delivers a chosen signal to a child when its
parent dies (PR_SET_PDEATHSIG); elsewhere this does nothing and the pid-file checks
at the next start clean up.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import uvloop

_PR_SET_PDEATHSIG = 1


def end_with_parent(signum: int = signal.SIGTERM) -> None:
    """Called in the child: `signum` arrives when the parent dies."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signum)
    if os.getppid() == 1:
        os.kill(os.getpid(), signum)


def die_with_parent(signum: int) -> Callable[[], None]:
    """The same, as a `preexec_fn` for subprocess.Popen."""

    def preexec() -> None:
        end_with_parent(signum)

    return preexec


def run_until_signalled(work: Coroutine[Any, Any, None]) -> None:
    """Runs `work` on uvloop until it ends or SIGINT or SIGTERM cancels it."""

    async def supervise() -> None:
        task = asyncio.ensure_future(work)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    uvloop.run(supervise())

"""Helpers shared by the embedded servers and the stacks that start them: free ports,
health probes and orphan hunting."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def answers_health(url: str) -> bool:
    """Whether the API at `url` answers GET /health with 200 within a second."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:  # noqa: S310
            return bool(answer.status == 200)
    except OSError:
        return False


def process_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None if not _alive(pid) else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_orphan(pid: int, expected_name: str, signum: int, *, timeout: float = 30.0) -> bool:
    """Stop a server left running by an earlier, killed owner; True if there was one.

    The name check keeps a recycled pid of some unrelated process safe.
    """
    name = process_name(pid)
    if name is None or (name and not name.startswith(expected_name)):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
    deadline = time.monotonic() + timeout
    while _alive(pid):
        _reap(pid)
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.05)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def end_child(process: subprocess.Popen[bytes] | None, signum: int, timeout: float) -> None:
    """Signals a server we started and waits for it; SIGKILL if it outstays `timeout`."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signum)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

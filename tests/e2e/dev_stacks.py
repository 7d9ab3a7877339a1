"""`taskstream dev` as a subprocess, with a data directory and ports of its own."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.support import until


def dev_environment(data_dir: Path, command_port: int, query_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKSTREAM_")}
    return env | {
        "TASKSTREAM_DATA_DIR": str(data_dir),
        "TASKSTREAM_COMMAND_PORT": str(command_port),
        "TASKSTREAM_QUERY_PORT": str(query_port),
    }


@contextlib.contextmanager
def dev_stack(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`taskstream dev` in a session of its own; afterwards stopped as Ctrl-C stops it,
    and nothing of its session may be left running."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "dev"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    until(lambda: not session_alive(process.pid), within=30, what="the stack's session gone")


def session_alive(session: int) -> bool:
    try:
        os.killpg(session, 0)
    except ProcessLookupError:
        return False
    return True

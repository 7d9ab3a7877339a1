"""A service, or a whole `taskstream dev` stack, refuses to start on a port another
already holds, and says which port and how to choose another; whoever held it keeps
answering. Every worker binds with SO_REUSEPORT (shared/serving.py), which alone would
let a second stack join the first one's ports."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from services.dev.processes import answers_health, free_port
from tests.e2e.conftest import Stack
from tests.e2e.dev_stacks import dev_environment, dev_stack
from tests.support import until

pytestmark = pytest.mark.e2e
STACK_SETTINGS = {"command_workers": 2, "query_workers": 2}
START_SECONDS = 120


def refusal(process: subprocess.Popen[bytes], within: float) -> str:
    """The output of `process`, which must exit non-zero within `within` seconds."""
    try:
        output, _ = process.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running after {within:.0f} s: it did not refuse") from None
    assert process.returncode not in (0, None), output.decode()
    return output.decode()


@pytest.mark.parametrize("service", ["command", "query"])
def test_a_service_on_a_port_its_like_holds_refuses_to_start(stack: Stack, service: str) -> None:
    url = stack.url_of(service)
    assert url is not None
    port = url.rpartition(":")[2]
    setting = f"TASKSTREAM_{service.upper()}_PORT"
    second = subprocess.Popen(
        [sys.executable, "-m", "services.cli", service],
        env={**stack.env_of(service), setting: port},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        said = refusal(second, within=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    assert f"port {port}" in said and setting in said, said
    assert answers_health(url)


def test_a_second_dev_stack_on_the_same_ports_refuses_and_stops_what_it_started(
    tmp_path: Path,
) -> None:
    command_port, query_port = free_port(), free_port()
    first_env = dev_environment(tmp_path / "first", command_port, query_port)
    second_env = dev_environment(tmp_path / "second", command_port, query_port)
    command, query = f"http://127.0.0.1:{command_port}", f"http://127.0.0.1:{query_port}"
    with dev_stack(first_env, tmp_path / "first.log") as first:
        until(
            lambda: answers_health(command) and answers_health(query),
            within=START_SECONDS,
            what="the first dev stack answering",
        )
        with dev_stack(second_env, tmp_path / "second.log") as second:
            try:
                second.wait(timeout=START_SECONDS)
            except subprocess.TimeoutExpired:
                raise AssertionError("the second dev stack did not refuse the ports") from None
            assert second.returncode != 0
        said = (tmp_path / "second.log").read_text()
        assert f"port {command_port}" in said and "TASKSTREAM_COMMAND_PORT" in said, said
        assert first.poll() is None
        assert answers_health(command) and answers_health(query)

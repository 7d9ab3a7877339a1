"""The command service killed (SIGKILL, workers and all) under load: every command a
client was answered is recorded, published and projected exactly once, and so is
every command it had to send again after losing its answer.

A kill can land anywhere: between a batch's commit and its answers, in the middle of
the relay's publishing, before a command was recorded. The clients retry with their
Idempotency-Key against the restarted service.
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.e2e.client import Tenant, read_past_503
from tests.e2e.conftest import Stack
from tests.e2e.keyed_load import KeyedLoad, assert_exactly_once

pytestmark = pytest.mark.e2e


def test_killing_the_command_service_under_load_loses_and_doubles_nothing(
    own_stack: Stack,
) -> None:
    load = KeyedLoad(own_stack, clients=8, per_client=35)
    load.start()
    for answered in (load.expected * n // 7 for n in range(1, 7)):
        load.wait_for(answered)
        own_stack.crash("command")
        own_stack.start("command")
    load.finish()
    assert_exactly_once(own_stack, load)


def test_the_command_service_stops_when_its_relay_dies(own_stack: Stack) -> None:
    """The relay publishes from a process of its own, beside the HTTP workers. If it
    dies, the whole service stops, for the deployment to restart, rather than going
    on recording commands that nobody publishes; restarted, it publishes them."""
    tenant = Tenant(own_stack)
    tenant.project("before")
    os.kill(own_stack.companion_pid("command", "run_relay"), signal.SIGKILL)
    assert own_stack.processes["command"].wait(timeout=30) == 1
    own_stack.start("command")
    answer = tenant.command("POST", "/projects", json={"name": "after"})
    assert answer.status_code == 201, answer.text
    position = {"X-Min-Position": answer.headers["X-Event-Position"]}
    read = read_past_503(lambda: tenant.query("/projects", headers=position), within=30)
    assert [p["name"] for p in read.json()["items"]] == ["before", "after"]

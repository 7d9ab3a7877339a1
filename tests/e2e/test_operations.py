"""What operators watch: /metrics on both APIs, and poison messages set aside."""

from __future__ import annotations

import re

import httpx
import pytest

from shared.nats import connect
from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack
from tests.support import eventually

pytestmark = pytest.mark.e2e


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


async def test_poison_messages_are_counted_in_metrics_and_the_projector_keeps_going(
    stack: Stack,
) -> None:
    async def dead_letters() -> float:
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{stack.query_url}/metrics")).text
        return metric(text, "taskstream_projector_dead_letters")

    before = await dead_letters()
    nc = await connect(stack.nats_url, name="poisoner", credentials=stack.nats_admin)
    try:
        js = nc.jetstream()
        await js.publish("taskstream.events.garbage.task.TaskCreated", b"\x00 not json")
        await js.publish(
            "taskstream.events.x.task.TaskExploded",
            b'{"specversion":"1.0","type":"TaskExploded","source":"taskstream"}',
        )
    finally:
        await nc.close()

    alice = Tenant(stack)
    created = alice.command("POST", "/projects", json={"name": "after the poison"})
    position = created.headers["X-Event-Position"]
    read = alice.query(f"/projects/{created.json()['id']}", headers={"X-Min-Position": position})
    assert read.status_code == 200

    async def counted() -> bool:
        return await dead_letters() >= before + 2

    await eventually(counted, what="both poison messages counted")


def test_query_metrics_export_positions_and_lag(stack: Stack) -> None:
    alice = Tenant(stack)
    created = alice.command("POST", "/projects", json={"name": "measured"})
    position = int(created.headers["X-Event-Position"])
    alice.query("/projects", headers={"X-Min-Position": str(position)})
    answer = httpx.get(f"{stack.query_url}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert metric(text, "taskstream_projection_position") >= position
    assert metric(text, "taskstream_event_store_position") >= position
    assert metric(text, "taskstream_projection_lag_events") >= 0
    assert metric(text, "taskstream_projection_lag_messages") >= 0
    assert metric(text, "taskstream_projector_fallbacks") >= 0
    assert "taskstream_query_cache_shared_total " in text
    assert "taskstream_query_reads_waiting " in text


def test_command_metrics_export_the_relay_and_group_commits(stack: Stack) -> None:
    Tenant(stack).project()
    text = httpx.get(f"{stack.command_url}/metrics").text
    assert metric(text, "taskstream_event_store_position") >= 1
    assert metric(text, "taskstream_relay_lag_events") >= 0
    assert "taskstream_commands_recorded_total" in text

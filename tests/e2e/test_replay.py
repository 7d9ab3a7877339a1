"""Operators replaying events while the stack serves: rebuild and republish."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import httpx
import pytest

from shared.nats import connect
from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack
from tests.support import stream_messages

pytestmark = pytest.mark.e2e


async def run_cli(stack: Stack, *args: str) -> str:
    env = {
        **os.environ,
        "TASKSTREAM_DATABASE_URL": stack.database_url,
        "TASKSTREAM_NATS_URL": stack.nats_url,
        # republish runs a relay: the command service's identity
        **{k: v for k, v in stack.env_of("command").items() if k == "TASKSTREAM_NATS_CREDS"},
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_queries_keep_answering_and_commands_land_during_a_rebuild(stack: Stack) -> None:
    alice = Tenant(stack)
    project = alice.project("during rebuild")
    for n in range(30):
        alice.task(project["id"], f"before {n}")
    answers: list[int] = []
    created: list[str] = []

    async def keep_reading(done: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=f"{stack.query_url}/api/v1") as client:
            while not done.is_set():
                answer = await client.get(f"/projects/{project['id']}", headers=alice.headers)
                answers.append(answer.status_code)

    async def keep_writing(done: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=f"{stack.command_url}/api/v1") as client:
            while not done.is_set():
                answer = await client.post(
                    f"/projects/{project['id']}/tasks",
                    json={"title": f"during {len(created)}"},
                    headers=alice.headers,
                )
                assert answer.status_code == 201, answer.text
                created.append(answer.headers["X-Event-Position"])

    done = asyncio.Event()
    workers = [asyncio.create_task(keep_reading(done)), asyncio.create_task(keep_writing(done))]
    output = await run_cli(stack, "rebuild")
    done.set()
    await asyncio.gather(*workers)
    assert "read model rebuilt for every tenant" in output
    assert answers and set(answers) == {200}
    view = alice.query(
        f"/projects/{project['id']}", headers={"X-Min-Position": max(created, key=int)}
    ).json()
    assert len(view["tasks"]) == 30 + len(created)


async def test_republish_refills_a_lost_stream_without_touching_the_read_model(
    stack: Stack,
) -> None:
    alice = Tenant(stack)
    project = alice.project("republished")
    position = alice.command("PATCH", f"/projects/{project['id']}", json={"name": "again"})
    last = int(position.headers["X-Event-Position"])
    before = alice.query(f"/projects/{project['id']}", headers={"X-Min-Position": str(last)})
    nc = await connect(stack.nats_url, name="test", credentials=stack.nats_admin)
    try:
        await nc.jetstream().delete_stream("TASKSTREAM")
    finally:
        await nc.close()
    output = await run_cli(stack, "republish", "--from", "1")
    assert "republished" in output
    messages = await stream_messages(stack.nats_url, credentials=stack.nats_admin)
    republished = {json.loads(m.data)["position"] for m in messages}
    assert set(range(1, last + 1)) <= republished
    after = alice.query(f"/projects/{project['id']}", headers={"X-Min-Position": str(last)})
    assert after.json() == before.json()
    later = alice.command("POST", "/projects", json={"name": "after the republish"})
    # The projector gives up a pull request the deleted stream left unanswered after
    # about 2 s (services/projector/intake/pull_feed.py), longer than one read's wait here.
    deadline = time.monotonic() + 30
    while (
        seen := alice.query(
            f"/projects/{later.json()['id']}",
            headers={"X-Min-Position": later.headers["X-Event-Position"]},
        )
    ).status_code == 503 and time.monotonic() < deadline:
        continue
    assert seen.status_code == 200, "the projector lost track of the recreated stream"

"""Invariants that hold when requests race (many in flight at once, across workers)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


async def concurrently(
    tenant: Tenant, requests: list[tuple[str, str, Any]]
) -> list[httpx.Response]:
    async with httpx.AsyncClient(
        base_url=f"{tenant.stack.command_url}/api/v1", headers=tenant.headers, timeout=60
    ) as client:
        return await asyncio.gather(
            *(client.request(method, path, json=body) for method, path, body in requests)
        )


async def test_ten_simultaneous_creates_of_one_tag_name_give_exactly_one_201(stack: Stack) -> None:
    alice = Tenant(stack)
    answers = await concurrently(alice, [("POST", "/tags", {"name": "Urgent"})] * 10)
    assert sorted(a.status_code for a in answers) == [201] + [409] * 9


async def test_simultaneous_case_variants_of_one_name_give_exactly_one_201(stack: Stack) -> None:
    alice = Tenant(stack)
    names = ["urgent", "URGENT", "Urgent", "uRgEnT", "urgenT"] * 2
    answers = await concurrently(alice, [("POST", "/tags", {"name": n}) for n in names])
    assert sorted(a.status_code for a in answers) == [201] + [409] * 9


async def test_concurrent_writes_to_one_task_without_if_match_are_never_lost(stack: Stack) -> None:
    alice = Tenant(stack)
    project = alice.project()
    task = alice.task(project["id"])
    tags = [alice.tag(f"t{n}") for n in range(20)]
    answers = await concurrently(
        alice, [("PUT", f"/tasks/{task['id']}/tags/{t['id']}", None) for t in tags]
    )
    assert [a.status_code for a in answers] == [204] * 20
    final = alice.command("PATCH", f"/tasks/{task['id']}", json={})
    assert {t["id"] for t in final.json()["tags"]} == {t["id"] for t in tags}
    assert final.json()["version"] == 21


async def test_concurrent_if_match_writes_give_one_200_and_the_rest_412(stack: Stack) -> None:
    alice = Tenant(stack)
    project = alice.project()
    path = f"/projects/{project['id']}"
    async with httpx.AsyncClient(
        base_url=f"{stack.command_url}/api/v1", headers=alice.headers, timeout=60
    ) as client:
        answers = await asyncio.gather(
            *(
                client.patch(path, json={"name": f"n{n}"}, headers={"If-Match": '"1"'})
                for n in range(10)
            )
        )
    assert sorted(a.status_code for a in answers) == [200] + [412] * 9


async def test_tasks_created_while_their_project_is_deleted_end_with_it(stack: Stack) -> None:
    alice = Tenant(stack)
    project = alice.project()
    requests: list[tuple[str, str, Any]] = [
        ("POST", f"/projects/{project['id']}/tasks", {"title": f"t{n}"}) for n in range(30)
    ]
    requests.insert(15, ("DELETE", f"/projects/{project['id']}", None))
    answers = await concurrently(alice, requests)
    deleted = answers[15]
    assert deleted.status_code == 204
    deletion = int(deleted.headers["X-Event-Position"])
    for answer in answers[:15] + answers[16:]:
        assert answer.status_code in (201, 404), answer.text
        if answer.status_code == 201:
            assert int(answer.headers["X-Event-Position"]) < deletion


async def test_simultaneous_requests_with_one_idempotency_key_record_one_project(
    stack: Stack,
) -> None:
    alice = Tenant(stack)
    key = str(uuid4())
    async with httpx.AsyncClient(
        base_url=f"{stack.command_url}/api/v1", headers=alice.headers, timeout=60
    ) as client:
        answers = await asyncio.gather(
            *(
                client.post("/projects", json={"name": "Once"}, headers={"Idempotency-Key": key})
                for _ in range(8)
            )
        )
    assert [a.status_code for a in answers] == [201] * 8
    assert len({a.json()["id"] for a in answers}) == 1
    assert len({a.headers["X-Event-Position"] for a in answers}) == 1

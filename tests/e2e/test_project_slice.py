"""One project through every part: HTTP → event store → JetStream → projector → HTTP."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from shared.tokens import issue_token
from tests.e2e.conftest import Stack
from tests.support import published_event, stream_messages

pytestmark = pytest.mark.e2e


def headers(stack: Stack, tenant: object = None, **extra: str) -> dict[str, str]:
    token = issue_token(stack.secret, tenant or uuid4(), 600, "e2e")  # type: ignore[arg-type]
    return {"X-Tenant-Token": token, **extra}


def test_create_then_read_your_write_on_the_query_api(stack: Stack) -> None:
    tenant = uuid4()
    created = httpx.post(
        f"{stack.command_url}/api/v1/projects",
        json={"name": "Launch", "description": "Q3"},
        headers=headers(stack, tenant),
    )
    assert created.status_code == 201, created.text
    project = created.json()
    assert (project["name"], project["description"], project["version"], project["tasks"]) == (
        "Launch",
        "Q3",
        1,
        [],
    )
    assert created.headers["ETag"] == '"1"'
    position = int(created.headers["X-Event-Position"])

    got = httpx.get(
        f"{stack.query_url}/api/v1/projects/{project['id']}",
        headers=headers(stack, tenant, **{"X-Min-Position": str(position)}),
    )
    assert got.status_code == 200, got.text
    assert int(got.headers["X-Projection-Position"]) >= position
    assert got.json() == {**project, "tasks": []}

    listed = httpx.get(f"{stack.query_url}/api/v1/projects", headers=headers(stack, tenant))
    summary = {k: v for k, v in project.items() if k != "tasks"} | {"task_count": 0}
    assert listed.json() == {"items": [summary], "next_cursor": None}


async def test_the_event_reaches_jetstream_as_a_cloudevent(stack: Stack) -> None:
    tenant = uuid4()
    async with httpx.AsyncClient() as client:
        created = await client.post(
            f"{stack.command_url}/api/v1/projects",
            json={"name": "Streamed"},
            headers=headers(stack, tenant, Authorization="ignored"),
        )
        assert created.status_code == 201
        position = int(created.headers["X-Event-Position"])
        await client.get(
            f"{stack.query_url}/api/v1/projects",
            headers=headers(stack, tenant, **{"X-Min-Position": str(position)}),
        )
    events = [
        published_event(m.data)
        for m in await stream_messages(stack.nats_url, credentials=stack.nats_admin)
    ]
    [event] = [e for e in events if e.tenant_id == tenant]
    assert (event.type, event.position, event.actor) == ("ProjectCreated", position, "e2e")
    assert event.data["name"] == "Streamed"


def test_another_tenant_gets_404_for_the_same_id(stack: Stack) -> None:
    owner = uuid4()
    created = httpx.post(
        f"{stack.command_url}/api/v1/projects",
        json={"name": "Secret"},
        headers=headers(stack, owner),
    )
    position = created.headers["X-Event-Position"]
    url = f"{stack.query_url}/api/v1/projects/{created.json()['id']}"
    mine = httpx.get(url, headers=headers(stack, owner, **{"X-Min-Position": position}))
    assert mine.status_code == 200
    theirs = httpx.get(url, headers=headers(stack, uuid4(), **{"X-Min-Position": position}))
    assert theirs.status_code == 404
    assert theirs.headers["content-type"] == "application/problem+json"
    missing = httpx.get(
        f"{stack.query_url}/api/v1/projects/{uuid4()}", headers=headers(stack, owner)
    )
    assert missing.json()["status"] == 404 == theirs.json()["status"]
    assert missing.json()["detail"] == theirs.json()["detail"]
    listed = httpx.get(f"{stack.query_url}/api/v1/projects", headers=headers(stack, uuid4()))
    assert listed.json()["items"] == []


@pytest.mark.parametrize("base", ["command_url", "query_url"])
def test_a_bad_token_is_401_on_both_apis(stack: Stack, base: str) -> None:
    url = getattr(stack, base) + "/api/v1/projects"
    forged = issue_token("not-the-secret-but-long-enough-for-hs256", uuid4())
    for sent in ({}, {"X-Tenant-Token": "garbage"}, {"Authorization": f"Bearer {forged}"}):
        answer = (
            httpx.post(url, json={"name": "x"}, headers=sent)
            if base == "command_url"
            else httpx.get(url, headers=sent)
        )
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"


def test_bad_input_is_a_422_problem_and_writes_nothing(stack: Stack) -> None:
    tenant = uuid4()
    for body in (
        {},
        {"name": ""},
        {"name": "x" * 256},
        {"name": "ok", "description": "d" * 1001},
        {"name": 5},
        {"name": "ok", "extra": 1},
    ):
        answer = httpx.post(
            f"{stack.command_url}/api/v1/projects", json=body, headers=headers(stack, tenant)
        )
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["errors"]
    raw = httpx.post(
        f"{stack.command_url}/api/v1/projects",
        content=b"{not json",
        headers={**headers(stack, tenant), "Content-Type": "application/json"},
    )
    assert raw.status_code == 422
    listed = httpx.get(f"{stack.query_url}/api/v1/projects", headers=headers(stack, tenant))
    assert listed.json()["items"] == []


def test_min_position_beyond_the_projection_is_503_with_retry_after(stack: Stack) -> None:
    answer = httpx.get(
        f"{stack.query_url}/api/v1/projects",
        headers=headers(stack, **{"X-Min-Position": str(10**12)}),
        timeout=30,
    )
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"


@pytest.mark.parametrize("base", ["command_url", "query_url"])
def test_health_and_readiness(stack: Stack, base: str) -> None:
    url = getattr(stack, base)
    assert httpx.get(f"{url}/health").json() == {"status": "ok"}
    ready = httpx.get(f"{url}/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "nats": True}

"""`GET /api/v1/schemas/{type}/{major}` on the query API: each published major's schema
(its latest minor, byte for byte), public and cacheable, with the fast paths on and off.

Nothing connects: the route needs no database, and no request here is a tenant's read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.query.app import create_app
from shared.events.catalog import EVENT_AGGREGATES
from shared.settings import Settings

EVENTS = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "events"


def latest(kind: str, major: int) -> bytes:
    minors = sorted(int(p.name.split(".")[1]) for p in (EVENTS / kind).glob(f"{major}.*.json"))
    return (EVENTS / kind / f"{major}.{minors[-1]}.json").read_bytes()


@pytest.fixture(scope="module", params=["", "all"], ids=["fast paths on", "fast paths off"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    settings = Settings(
        database_url="postgresql://nobody@127.0.0.1:9/none",
        nats_url="nats://127.0.0.1:9",
        jwt_secret="s" * 32,  # type: ignore[arg-type]
        fast_paths_off=request.param,
    )
    yield TestClient(create_app(settings))


@pytest.mark.parametrize("kind", sorted(EVENT_AGGREGATES))
def test_each_major_is_served_as_its_latest_minor_without_a_token(
    client: TestClient, kind: str
) -> None:
    answer = client.get(f"/api/v1/schemas/{kind}/1")
    assert answer.status_code == 200, answer.text
    assert answer.content == latest(kind, 1)
    assert answer.headers["content-type"] == "application/schema+json"
    assert answer.json()["$id"] == f"urn:taskstream:schema:{kind}:1"


def test_a_schema_is_cacheable_by_anyone_and_revalidates_to_a_304(client: TestClient) -> None:
    answer = client.get("/api/v1/schemas/TaskCreated/1")
    assert answer.headers["cache-control"] == "public, max-age=3600"
    assert "Accept-Encoding" in answer.headers["vary"]
    assert "X-Tenant-Token" not in answer.headers["vary"]
    etag = answer.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get("/api/v1/schemas/TaskCreated/1", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert (again.headers["etag"], again.headers["cache-control"]) == (etag, "public, max-age=3600")
    other = client.get("/api/v1/schemas/TaskRenamed/1", headers={"If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["etag"] != etag


def test_no_token_rule_or_read_model_wait_applies(client: TestClient) -> None:
    answer = client.get(
        "/api/v1/schemas/TagCreated/1",
        headers={"X-Tenant-Token": "forged", "X-Min-Position": "999999999"},
    )
    assert answer.status_code == 200
    assert answer.content == latest("TagCreated", 1)


def test_head_answers_the_headers_alone(client: TestClient) -> None:
    answer = client.head("/api/v1/schemas/TagCreated/1")
    assert answer.status_code == 200
    assert answer.content == b""
    assert answer.headers["etag"] == client.get("/api/v1/schemas/TagCreated/1").headers["etag"]


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/api/v1/schemas/TaskExploded/1", 404, "no event type 'TaskExploded'"),
        ("/api/v1/schemas/cloudevent/1", 404, "no event type 'cloudevent'"),
        ("/api/v1/schemas/TaskCreated/2", 404, "TaskCreated has no major 2 (published: 1)"),
        ("/api/v1/schemas/TaskCreated/99999999999999999999", 404, "TaskCreated has no major"),
        ("/api/v1/schemas/TaskCreated/0", 422, None),
        ("/api/v1/schemas/TaskCreated/one", 422, None),
        ("/api/v1/schemas/TaskCreated", 404, None),
        ("/api/v1/schemas/TaskCreated/1/", 404, None),
    ],
)
def test_what_names_no_published_schema_is_a_problem(
    client: TestClient, path: str, status: int, detail: str | None
) -> None:
    answer = client.get(path)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    if detail is not None:
        assert detail in answer.json()["detail"]

"""PlainRoute reads a plain request's arguments itself (shared/plain_routes.py), and
whatever it answers must be what FastAPI's own handler answers. Each request below goes
to a service's app as built with the fast path on and with it off
(TASKSTREAM_FAST_PATHS_OFF=plain_routes, shared/routes.py). Stand-ins for the command
runner and for the read queries answer with what the endpoint asked, so a difference in
the arguments read shows as a difference in the answer. No servers: no lifespan
(connections) is ever run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from services.command import app as command_app
from services.command.deps import CallDep
from services.command.domain.base import Context
from services.query import app as query_app
from services.query.objects import Found
from services.query.reading import ReadDep
from shared.plain_routes import PlainRoute, Shape
from shared.settings import Settings
from shared.tokens import issue_token
from tests.conftest import JWT_SECRET

PROJECT, TASK, TAG = uuid4(), uuid4(), uuid4()
KNOWN = {PROJECT, TASK, TAG}
TOKEN = issue_token(JWT_SECRET, uuid4(), 600)
AUTH = {"X-Tenant-Token": TOKEN}
JSON = {**AUTH, "Content-Type": "application/json"}
P, T, G = str(PROJECT), str(TASK), str(TAG)

Case = tuple[str, str, dict[str, str], bytes]
PLAIN: list[Case] = [
    ("POST", "/api/v1/projects", JSON, b'{"name": " Alpha ", "description": "d"}'),
    ("PATCH", f"/api/v1/projects/{P}", {**JSON, "If-Match": '"3"'}, b'{"name": "B"}'),
    ("DELETE", f"/api/v1/projects/{P}", AUTH, b""),
    ("PUT", f"/api/v1/tasks/{T}/tags/{G}", AUTH, b""),
    ("POST", "/api/v1/tags", JSON, b'{"name": "Urgent", "color": "#ff0000"}'),
]
CASES: list[Case] = [
    *PLAIN,
    ("POST", "/api/v1/projects", JSON, b'{"name": "a", "extra": 1}'),
    ("POST", "/api/v1/projects", JSON, b'{"name":'),
    ("POST", "/api/v1/projects", JSON, b""),
    ("POST", "/api/v1/projects", JSON, b"[]"),
    ("POST", "/api/v1/projects", JSON, b'{"name": "a\\u0000b"}'),
    ("POST", "/api/v1/projects", JSON, b'{"name": NaN}'),
    ("POST", "/api/v1/projects", JSON, b'{"name": "a", "name": "b"}'),
    ("POST", "/api/v1/projects", JSON, b'{"name": "' + b"x" * 256 + b'"}'),
    ("POST", "/api/v1/projects", {**AUTH, "Content-Type": "text/plain"}, b'{"name": "a"}'),
    ("POST", "/api/v1/projects", AUTH, b'{"name": "a"}'),
    (
        "POST",
        "/api/v1/projects",
        {**AUTH, "Content-Type": "application/json; charset=utf-8"},
        b'{"name": "a"}',
    ),
    ("POST", "/api/v1/projects", {**AUTH, "Content-Type": "Application/JSON"}, b'{"name": "a"}'),
    ("POST", "/api/v1/projects", {"Content-Type": "application/json"}, b'{"name": "a"}'),
    ("POST", "/api/v1/projects", {**JSON, "Idempotency-Key": "k1"}, b'{"name": "a"}'),
    ("POST", "/api/v1/projects", {**JSON, "Idempotency-Key": "k\x7f"}, b'{"name": "a"}'),
    ("PATCH", f"/api/v1/projects/{P}", {**JSON, "If-Match": '"3"'}, b'{"name": null}'),
    ("PATCH", f"/api/v1/projects/{P}", {**JSON, "If-Match": 'W/"3"'}, b'{"description": null}'),
    ("PATCH", f"/api/v1/projects/{P}", {**JSON, "If-Match": "abc"}, b'{"name": "x"}'),
    ("PATCH", f"/api/v1/projects/{P}", JSON, b"{}"),
    ("PATCH", f"/api/v1/projects/{P}", JSON, b""),
    ("PATCH", f"/api/v1/projects/{P}", JSON, b" "),
    ("PATCH", f"/api/v1/projects/{P}", JSON, b"null"),
    ("PATCH", "/api/v1/projects/not-a-uuid", JSON, b'{"name": "x"}'),
    ("PATCH", f"/api/v1/projects/{PROJECT.hex}", JSON, b'{"name": "x"}'),
    ("PATCH", f"/api/v1/projects/{P.upper()}", JSON, b'{"name": "x"}'),
    ("PATCH", f"/api/v1/projects/%7B{P}%7D", JSON, b'{"name": "x"}'),
    ("PATCH", f"/api/v1/projects/urn:uuid:{P}", JSON, b'{"name": "x"}'),
    ("PATCH", "/api/v1/projects/not-a-uuid", JSON, b'{"name": '),
    ("DELETE", f"/api/v1/projects/{P}", {**AUTH, "If-Match": '"2"'}, b'{"ignored": true}'),
    ("DELETE", "/api/v1/projects/123", AUTH, b""),
    (
        "POST",
        f"/api/v1/projects/{P}/tasks",
        JSON,
        b'{"title": "t", "status": "done", "tag_ids": ["' + G.encode() + b'"]}',
    ),
    ("POST", f"/api/v1/projects/{P}/tasks", JSON, b'{"title": "t", "status": "nope"}'),
    ("POST", f"/api/v1/projects/{P}/tasks", JSON, b'{"title": "t", "tag_ids": ["x"]}'),
    ("POST", f"/api/v1/projects/{P}/tasks", JSON, b'{"title": "t", "tag_ids": null}'),
    (
        "PATCH",
        f"/api/v1/tasks/{T}",
        JSON,
        b'{"project_id": "' + P.encode() + b'", "status": "in_progress"}',
    ),
    ("PATCH", f"/api/v1/tasks/{T}", JSON, b'{"title": null}'),
    ("PATCH", f"/api/v1/tasks/{T}", JSON, b'{"description": null}'),
    ("DELETE", f"/api/v1/tasks/{T}", AUTH, b""),
    ("PUT", f"/api/v1/tasks/{T}/tags/zzz", AUTH, b""),
    ("DELETE", f"/api/v1/tasks/{T}/tags/{G}", AUTH, b""),
    ("POST", "/api/v1/tags", JSON, b'{"name": "Urgent", "color": "red"}'),
    ("PATCH", f"/api/v1/tags/{G}", JSON, b'{"color": "#00ff00"}'),
    ("DELETE", f"/api/v1/tags/{G}", AUTH, b""),
]


class _UseCases:
    """Any use case of the application, doing nothing: the runner reports the call."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        def use_case(*args: Any) -> None:
            return None

        use_case.__name__ = name
        return use_case


class _EchoingCommands:
    async def run(self, decide: partial[Any], render: Any, **options: Any) -> Response:
        return JSONResponse(
            {
                "use_case": decide.func.__name__,
                "arguments": [_plain(a) for a in decide.args],
                "options": {k: _plain(v) for k, v in options.items()},
            },
            status_code=201,
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Context):
        return ["context", str(value.tenant_id), value.actor]
    if isinstance(value, UUID):
        return str(value) if value in KNOWN else "a new id"
    return repr(value)


def _settings(on: bool) -> Settings:
    return Settings(
        database_url="postgresql://nobody@127.0.0.1:1/none",
        nats_url="nats://127.0.0.1:1",
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        query_cache_megabytes=0,
        min_position_wait_seconds=0.01,
        fast_paths_off="" if on else "plain_routes",
    )


def _command_app(on: bool) -> FastAPI:
    app = command_app.create_app(_settings(on))
    app.state.application = _UseCases()
    app.state.commands = _EchoingCommands()
    return app


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple[TestClient, TestClient]]:
    yield TestClient(_command_app(True)), TestClient(_command_app(False))


@pytest.mark.parametrize("create_app", [command_app.create_app, query_app.create_app])
def test_the_openapi_document_is_the_same_on_and_off(create_app: Any) -> None:
    assert create_app(_settings(True)).openapi() == create_app(_settings(False)).openapi()


def test_every_command_and_every_read_of_one_object_is_a_plain_route() -> None:
    commands, reads = _command_app(True).router.routes, _query_app(True).router.routes
    assert len(_plain_paths(commands, CallDep)) == 11
    assert _plain_paths(reads, ReadDep) == [
        "/api/v1/projects/{project_id}",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tags/{tag_id}",
    ]


def _plain_paths(routes: Sequence[BaseRoute], dependency: object) -> list[str]:
    return [
        route.path
        for route in routes
        if isinstance(route, PlainRoute)
        and Shape.of(route.endpoint, set(route.param_convertors), dependency) is not None
    ]


@pytest.mark.parametrize(("method", "path", "headers", "body"), CASES)
def test_command_answers_are_those_of_fastapis_own_handler(
    clients: tuple[TestClient, TestClient],
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    ours, reference = (c.request(method, path, headers=headers, content=body) for c in clients)
    assert (ours.status_code, ours.json()) == (reference.status_code, reference.json())
    assert ours.headers.get("content-type") == reference.headers.get("content-type")


@pytest.fixture
def read_by_plain_route(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each request from now on, whether PlainRoute read it (not FastAPI's handler)."""
    read: list[bool] = []
    arguments = Shape.arguments

    async def recorded(self: Shape, request: Any) -> dict[str, Any] | None:
        result = await arguments(self, request)
        read.append(result is not None)
        return result

    monkeypatch.setattr(Shape, "arguments", recorded)
    return read


MISSING = uuid4()
READ_CASES: list[Case] = [
    ("GET", f"/api/v1/projects/{P}", AUTH, b""),
    ("GET", f"/api/v1/projects/{MISSING}", AUTH, b""),
    ("GET", "/api/v1/projects/nope", AUTH, b""),
    ("GET", f"/api/v1/projects/{P.upper()}", AUTH, b""),
    ("GET", f"/api/v1/projects/{PROJECT.hex}", AUTH, b""),
    ("GET", f"/api/v1/projects/{P}", {}, b""),
    ("GET", "/api/v1/projects/nope", {}, b""),
    ("GET", f"/api/v1/projects/{P}", {"X-Tenant-Token": "not a token"}, b""),
    ("GET", f"/api/v1/projects/{P}", {**AUTH, "X-Min-Position": "abc"}, b""),
    ("GET", f"/api/v1/projects/{P}", {**AUTH, "X-Min-Position": "5"}, b""),
    ("GET", f"/api/v1/projects/{P}", {**AUTH, "X-Min-Position": "99"}, b""),
    ("GET", f"/api/v1/projects/{P}", {**AUTH, "If-None-Match": '"kept"'}, b""),
    ("GET", f"/api/v1/projects/{P}", {**AUTH, "If-None-Match": '"other"'}, b""),
    ("GET", f"/api/v1/tasks/{T}", AUTH, b""),
    ("GET", f"/api/v1/tasks/{T}", {**AUTH, "If-None-Match": "*"}, b""),
    ("GET", f"/api/v1/tasks/{MISSING}", AUTH, b""),
    ("GET", "/api/v1/tasks/123", AUTH, b""),
    ("GET", f"/api/v1/tags/{G}", AUTH, b""),
    ("GET", f"/api/v1/tags/{G}", {"Authorization": f"Bearer {TOKEN}"}, b""),
    ("GET", f"/api/v1/tags/{MISSING}", AUTH, b""),
]
READ_HEADERS = ("content-type", "etag", "x-projection-position", "retry-after")


def _found(kind: str, objects: str, tenant_id: UUID, object_id: UUID) -> str | None:
    if object_id == MISSING:
        return None
    return json.dumps({kind: str(object_id), "tenant": str(tenant_id), "objects": objects})


class _Objects:
    """Stands in for the reads of one object: answers with what it was asked."""

    label = "the reads of one object"

    async def project_with_tasks(self, tenant_id: UUID, project_id: UUID) -> Found | None:
        body = _found("project", self.label, tenant_id, project_id)
        return None if body is None else Found(body, 1, "kept")

    async def task(self, tenant_id: UUID, task_id: UUID) -> Found | None:
        body = _found("task", self.label, tenant_id, task_id)
        return None if body is None else Found(body, 1)

    async def tag(self, tenant_id: UUID, tag_id: UUID) -> Found | None:
        body = _found("tag", self.label, tenant_id, tag_id)
        return None if body is None else Found(body, 1)


def _query_app(on: bool) -> FastAPI:
    app = query_app.create_app(_settings(on))
    app.state.watcher.position = 10
    app.state.pool = "the pool, for lists"
    app.state.objects = _Objects()
    return app


@pytest.fixture(scope="module")
def read_clients() -> Iterator[tuple[TestClient, TestClient]]:
    yield TestClient(_query_app(True)), TestClient(_query_app(False))


@pytest.mark.parametrize(("method", "path", "headers", "body"), READ_CASES)
def test_read_answers_are_those_of_fastapis_own_handler(
    read_clients: tuple[TestClient, TestClient],
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    ours, reference = (c.request(method, path, headers=headers) for c in read_clients)
    assert (ours.status_code, ours.content) == (reference.status_code, reference.content)
    for name in READ_HEADERS:
        assert ours.headers.get(name) == reference.headers.get(name), name


def test_plain_requests_are_read_by_plain_route_only_when_it_is_on(
    clients: tuple[TestClient, TestClient],
    read_clients: tuple[TestClient, TestClient],
    read_by_plain_route: list[bool],
) -> None:
    for commands, reads, on in zip(clients, read_clients, (True, False), strict=True):
        read_by_plain_route.clear()
        for method, path, headers, body in PLAIN:
            answer = commands.request(method, path, headers=headers, content=body)
            assert answer.status_code == 201
        for path in (f"/api/v1/projects/{P}", f"/api/v1/tasks/{T}", f"/api/v1/tags/{G}"):
            assert reads.get(path, headers=AUTH).status_code == 200
        assert read_by_plain_route == ([True] * (len(PLAIN) + 3) if on else [])

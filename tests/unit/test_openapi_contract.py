"""What the OpenAPI documents of both APIs promise: security schemes, response headers,
nullability as accepted, formats, and only the statuses a route can give.

The documents are built by the apps themselves (nothing connects until start-up)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase
from pydantic import SecretStr
from starlette.routing import BaseRoute

from services.command.app import create_app as command_app
from services.query.app import create_app as query_app
from shared.settings import Settings

SETTINGS = Settings(
    database_url="postgresql://taskstream@127.0.0.1:1/taskstream",
    nats_url="nats://127.0.0.1:1",
    jwt_secret=SecretStr("x" * 32),
)
EITHER_TOKEN: list[dict[str, list[str]]] = [{"TenantToken": []}, {"Bearer": []}]
OPEN = ("/health", "/ready", "/metrics")
SCHEMAS = "/api/v1/schemas/{event_type}/{major}"
PUBLIC = (*OPEN, SCHEMAS)
"""Answered without a token: the probes, and the published event schemas."""


def _document(build: Any, off: str = "") -> dict[str, Any]:
    settings = SETTINGS.model_copy(update={"fast_paths_off": off}) if off else SETTINGS
    app: FastAPI = build(settings)
    return app.openapi()


@pytest.fixture(scope="module")
def command() -> dict[str, Any]:
    return _document(command_app)


@pytest.fixture(scope="module")
def query() -> dict[str, Any]:
    return _document(query_app)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][name]
    return found


@pytest.mark.parametrize("which", ["command", "query"])
def test_token_is_a_security_scheme_on_every_api_route_and_no_other(
    which: str, request: pytest.FixtureRequest
) -> None:
    document = request.getfixturevalue(which)
    schemes = document["components"]["securitySchemes"]
    assert schemes["TenantToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Tenant-Token",
        "description": schemes["TenantToken"]["description"],
    }
    assert schemes["Bearer"]["type"] == "http"
    assert schemes["Bearer"]["scheme"] == "bearer"
    for path, method, operation in operations(document):
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        assert "x-tenant-token" not in names, (path, method)
        if path in PUBLIC:
            assert "security" not in operation, (path, method)
        else:
            assert operation["security"] == EITHER_TOKEN, (path, method)


def test_the_document_is_the_same_with_the_plain_routes_fast_path_off(
    command: dict[str, Any], query: dict[str, Any]
) -> None:
    assert _document(command_app, "plain_routes") == command
    assert _document(query_app, "plain_routes") == query


def headers_of(document: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]["responses"][status].get("headers", {})
    return found


def test_every_command_success_declares_its_headers(command: dict[str, Any]) -> None:
    for path, method, operation in operations(command):
        if path in OPEN:
            continue
        (success,) = [s for s in operation["responses"] if s.startswith("2")]
        headers = headers_of(command, path, method, success)
        assert headers["ETag"]["required"] is True
        assert headers["X-Event-Position"]["schema"]["type"] == "integer"
        if method == "post":
            assert success == "201"
            assert headers["Location"]["schema"] == {"type": "string", "format": "uri"}
            assert headers["Idempotent-Replayed"]["required"] is False
        for status, response in operation["responses"].items():
            if status.startswith("5"):
                assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_every_query_answer_declares_its_headers(query: dict[str, Any]) -> None:
    for path, _method, operation in operations(query):
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            assert headers["X-Projection-Position"]["schema"]["type"] == "integer", (path, status)
            if path.startswith("/api/") and status in ("200", "304"):
                assert set(headers) >= {"ETag", "Cache-Control", "Vary"}, (path, status)
            if status == "503" and path.startswith("/api/"):
                assert headers["Retry-After"]["required"] is True
        if path.startswith("/api/"):
            assert "304" in operation["responses"], path


def test_the_event_schemas_are_documented_as_public_schema_documents(
    query: dict[str, Any],
) -> None:
    operation = query["paths"][SCHEMAS]["get"]
    responses = operation["responses"]
    assert set(responses) == {"200", "304", "404", "422"}
    assert list(responses["200"]["content"]) == ["application/schema+json"]
    for status in ("200", "304"):
        headers = responses[status]["headers"]
        assert "public" in headers["Cache-Control"]["description"], status
        assert "Accept-Encoding" in headers["Vary"]["description"], status
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"event_type", "major", "If-None-Match"}
    [major] = [p for p in operation["parameters"] if p["name"] == "major"]
    assert (major["schema"]["type"], major["schema"]["minimum"]) == ("integer", 1)


def test_patch_fields_that_refuse_null_are_not_nullable(command: dict[str, Any]) -> None:
    refuse_null = {
        "UpdateProject": ("name",),
        "UpdateTask": ("title", "status", "project_id"),
        "UpdateTag": ("name",),
    }
    accept_null = {
        "UpdateProject": ("description",),
        "UpdateTask": ("description", "due_on", "assignee"),
    }
    accept_null["UpdateTag"] = ("color",)
    for model, names in refuse_null.items():
        properties = schema(command, model)["properties"]
        assert "required" not in schema(command, model)
        for name in names:
            assert "null" not in str(properties[name]), (model, name, properties[name])
        for name in accept_null[model]:
            assert {"type": "null"} in properties[name]["anyOf"], (model, name)


@pytest.mark.parametrize("which", ["command", "query"])
def test_timestamps_are_date_times_and_status_the_shared_enum(
    which: str, request: pytest.FixtureRequest
) -> None:
    document = request.getfixturevalue(which)
    task = schema(document, "Task")["properties"]
    for name in ("created_at", "updated_at"):
        assert task[name]["format"] == "date-time"
    assert task["due_on"]["anyOf"] == [{"type": "string", "format": "date"}, {"type": "null"}]
    assert task["status"] == {"$ref": "#/components/schemas/Status"}
    assert schema(document, "Status")["enum"] == ["pending", "in_progress", "done", "cancelled"]


def statuses(document: dict[str, Any], path: str, method: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_only_the_statuses_a_route_can_give(command: dict[str, Any], query: dict[str, Any]) -> None:
    for path in ("/api/v1/projects", "/api/v1/tags"):
        assert not statuses(command, path, "post") & {"404", "412"}, path
    assert "412" not in statuses(command, "/api/v1/projects/{project_id}/tasks", "post")
    assert "404" in statuses(command, "/api/v1/projects/{project_id}/tasks", "post")
    for path in ("/api/v1/projects", "/api/v1/tasks", "/api/v1/tags"):
        assert "404" not in statuses(query, path, "get"), path
    for path, method, operation in operations(command):
        if "requestBody" in operation:
            assert "415" in operation["responses"], (path, method)
        elif path.startswith("/api/"):
            assert "415" not in operation["responses"], (path, method)


@pytest.mark.parametrize("which", ["command", "query"])
def test_ready_and_metrics_are_documented_as_answered(
    which: str, request: pytest.FixtureRequest
) -> None:
    document = request.getfixturevalue(which)
    ready = document["paths"]["/ready"]["get"]["responses"]
    assert set(ready) == {"200", "503"}
    assert "application/json" in ready["503"]["content"]
    metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]


def api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    """The app's routes, also those of routers FastAPI keeps as included branches."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def _calls(dependant: Dependant) -> Iterator[object]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


@pytest.mark.parametrize("off", ["", "plain_routes"])
@pytest.mark.parametrize("build", [command_app, query_app])
def test_the_security_schemes_are_the_documents_alone(build: Any, off: str) -> None:
    """No route depends on them, so neither a plain route nor FastAPI's own handler runs
    them: a request is authenticated once, by shared/auth.py, as before."""
    settings = SETTINGS.model_copy(update={"fast_paths_off": off})
    routes = list(api_routes(build(settings).routes))
    assert len(routes) >= 9
    for route in routes:
        assert not any(isinstance(call, SecurityBase) for call in _calls(route.dependant))


def test_the_task_list_documents_its_assignee_and_due_date_filters(
    query: dict[str, Any],
) -> None:
    parameters = {p["name"]: p for p in query["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    (assignee, _) = parameters["assignee"]["schema"]["anyOf"]
    assert (assignee["minLength"], assignee["maxLength"]) == (1, 255)
    assert parameters["due_before"]["schema"]["anyOf"][0] == {"type": "string", "format": "date"}
    assert all(not parameters[name].get("required") for name in ("assignee", "due_before"))

"""Each read costs a constant number of SQL statements, whatever the number of tasks.

The answer cache is off here: what is counted is a read answered from PostgreSQL.
A read answered from memory costs none (test_response_cache.py).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from services.dev.postgres import EmbeddedPostgres
from services.query.app import create_app
from services.query.reading import ReadRoute
from shared.database import DatabaseAddress
from shared.settings import Settings
from shared.tokens import issue_token
from tests.conftest import JWT_SECRET
from tests.support import StatementLog, log_statements, seed_project

TENANT = uuid4()


@pytest.fixture
def client(database_url: str, settings: Settings) -> Iterator[TestClient]:
    log_statements(database_url)
    uncached = settings.model_copy(update={"query_cache_megabytes": 0})
    with TestClient(create_app(uncached)) as test_client:
        test_client.headers["X-Tenant-Token"] = issue_token(JWT_SECRET, TENANT, 600)
        yield test_client


def statements_for(client: TestClient, log: Path, path: str) -> int:
    """Statements the server logged while answering `path` (after a warm-up request)."""
    assert client.get(path).status_code == 200
    statements = StatementLog(log)
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return statements.count()


def test_reads_cost_the_same_statements_for_1_and_500_tasks(
    client: TestClient, database_url: str, postgres_server: EmbeddedPostgres
) -> None:
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    small, small_tag = seed_project(conninfo, TENANT, 1)
    large, large_tag = seed_project(conninfo, TENANT, 500)
    log = postgres_server.log_path
    for path in (
        "/api/v1/projects/{project}",
        "/api/v1/tasks?project_id={project}&limit=200",
        "/api/v1/tasks?tag_id={tag}&status=pending&limit=200",
        "/api/v1/tags/{tag}",
        "/api/v1/projects",
        "/api/v1/tags",
    ):
        one = statements_for(client, log, path.format(project=small, tag=small_tag))
        many = statements_for(client, log, path.format(project=large, tag=large_tag))
        assert one == many == 1, f"{path}: {one} statement(s) for 1 task, {many} for 500"


def test_every_read_answers_exactly_the_model_it_documents(
    client: TestClient, database_url: str
) -> None:
    """The JSON PostgreSQL builds and the model in the OpenAPI document are one
    definition (services/query/shaped_json.py): the same keys, in the same order, at
    every level, and values the model accepts."""
    project, tag = seed_project(DatabaseAddress.parse(database_url).conninfo(), TENANT, 2)
    task = client.get(f"/api/v1/tasks?project_id={project}").json()["items"][0]["id"]
    ids = {"project_id": project, "task_id": task, "tag_id": tag}
    reads = [r for r in client.app.routes if isinstance(r, ReadRoute)]  # type: ignore[attr-defined]
    assert len(reads) == 6
    for route in reads:
        model = route.responses[200]["model"]
        answer = client.get(route.path.format(**ids))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert_keys(body, model, route.path)
        model.model_validate(body)


def assert_keys(value: Any, model: type[BaseModel], where: str) -> None:
    assert list(value) == list(model.model_fields), where
    for name, field in model.model_fields.items():
        inner = field.annotation
        items = [value[name]]
        if typing.get_origin(inner) is list:
            (inner,) = typing.get_args(inner)
            items = value[name]
            assert items, f"{where}: {name} is empty, so its shape goes unchecked"
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            for item in items:
                assert_keys(item, inner, f"{where} {name}")

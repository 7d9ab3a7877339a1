"""Another tenant's ids are answered exactly as ids that do not exist, on every route."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def owned(stack: Stack) -> dict[str, Any]:
    """Objects of one tenant, for another tenant to reach for."""
    owner = Tenant(stack)
    project = owner.project()
    tag = owner.tag("mine")
    task = owner.task(project["id"], tag_ids=[tag["id"]])
    return {"owner": owner, "project": project["id"], "task": task["id"], "tag": tag["id"]}


COMMANDS = [
    ("PATCH", "/projects/{project}", {"name": "x"}),
    ("DELETE", "/projects/{project}", None),
    ("POST", "/projects/{project}/tasks", {"title": "x"}),
    ("PATCH", "/tasks/{task}", {"title": "x"}),
    ("DELETE", "/tasks/{task}", None),
    ("PATCH", "/tags/{tag}", {"name": "x"}),
    ("DELETE", "/tags/{tag}", None),
    ("PUT", "/tasks/{task}/tags/{tag}", None),
    ("DELETE", "/tasks/{task}/tags/{tag}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), COMMANDS)
def test_every_command_route_answers_404_for_another_tenants_ids(
    stack: Stack, owned: dict[str, Any], method: str, path: str, body: dict[str, str] | None
) -> None:
    intruder = Tenant(stack)
    theirs = intruder.command(method, path.format(**owned), json=body)
    missing = intruder.command(
        method, path.format(project=uuid4(), task=uuid4(), tag=uuid4()), json=body
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"] == missing.json()["detail"]


def test_the_owner_still_sees_everything_untouched(owned: dict[str, Any]) -> None:
    owner: Tenant = owned["owner"]
    task = owner.command("PATCH", f"/tasks/{owned['task']}", json={})
    assert task.status_code == 200
    assert task.json()["version"] == 2
    assert [t["id"] for t in task.json()["tags"]] == [owned["tag"]]


def test_a_command_never_relates_objects_of_two_tenants(
    stack: Stack, owned: dict[str, Any]
) -> None:
    intruder = Tenant(stack)
    project = intruder.project()
    task = intruder.task(project["id"])
    with_their_tag = intruder.command(
        "POST", f"/projects/{project['id']}/tasks", json={"title": "x", "tag_ids": [owned["tag"]]}
    )
    assert with_their_tag.status_code == 404
    assert intruder.command("PUT", f"/tasks/{task['id']}/tags/{owned['tag']}").status_code == 404
    moved = intruder.command("PATCH", f"/tasks/{task['id']}", json={"project_id": owned["project"]})
    assert moved.status_code == 404

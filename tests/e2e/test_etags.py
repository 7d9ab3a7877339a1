"""GET-then-PATCH through the real processes: the query API's ETag of a task, a tag or a
nested project is the If-Match the command API takes for it, and it changes whenever
the body it validates does (so a 304 is never stale), even where the object's own
version does not move."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e
STACK_SETTINGS = {"command_workers": 1, "query_workers": 1}


def read(
    tenant: Tenant, path: str, after: httpx.Response, etag: str | None = None
) -> httpx.Response:
    """The query API's answer once it has applied the command `after`."""
    headers = {"X-Min-Position": after.headers["X-Event-Position"]}
    if etag is not None:
        headers["If-None-Match"] = etag
    answer = tenant.query(path, headers=headers)
    assert answer.status_code in (200, 304), answer.text
    return answer


def written(answer: httpx.Response, status: int = 200) -> httpx.Response:
    assert answer.status_code == status, answer.text
    return answer


def test_a_tasks_etag_is_its_if_match_and_follows_its_tags(stack: Stack) -> None:
    tenant = Tenant(stack)
    project = tenant.project()
    tag = written(tenant.command("POST", "/tags", json={"name": "urgent"}), 201)
    made = written(
        tenant.command(
            "POST",
            f"/projects/{project['id']}/tasks",
            json={"title": "a", "tag_ids": [tag.json()["id"]]},
        ),
        201,
    )
    path = f"/tasks/{made.json()['id']}"
    etag = read(tenant, path, made).headers["ETag"]
    renamed = written(tenant.command("PATCH", f"/tags/{tag.json()['id']}", json={"name": "later"}))
    again = read(tenant, path, renamed, etag)
    assert again.status_code == 200, "the tag's new name is in the task's body"
    assert again.json()["tags"][0]["name"] == "later"
    assert again.headers["ETag"] != etag
    # Renaming the tag did not move the task's version: both ETags still name it.
    patched = written(
        tenant.command("PATCH", path, json={"title": "b"}, headers={"If-Match": etag})
    )
    stale = tenant.command(
        "PATCH", path, json={"title": "c"}, headers={"If-Match": again.headers["ETag"]}
    )
    assert stale.status_code == 412, "the first PATCH moved the task on"
    assert read(tenant, path, patched).headers["ETag"].startswith(f'"{made.json()["version"] + 1}.')


def test_a_tags_etag_follows_its_task_count_and_is_its_if_match(stack: Stack) -> None:
    tenant = Tenant(stack)
    project = tenant.project()
    tag = written(tenant.command("POST", "/tags", json={"name": "t"}), 201).json()
    first = written(tenant.command("POST", "/tags", json={"name": "u"}), 201)
    path = f"/tags/{tag['id']}"
    etag = read(tenant, path, first).headers["ETag"]
    task = written(
        tenant.command(
            "POST", f"/projects/{project['id']}/tasks", json={"title": "a", "tag_ids": [tag["id"]]}
        ),
        201,
    )
    counted = read(tenant, path, task, etag)
    assert counted.status_code == 200
    assert counted.json()["task_count"] == 1
    assert counted.headers["ETag"] != etag
    recolored = tenant.command(
        "PATCH", path, json={"color": "#ff0000"}, headers={"If-Match": counted.headers["ETag"]}
    )
    written(recolored)


def test_a_nested_projects_etag_follows_its_tasks_and_is_its_if_match(stack: Stack) -> None:
    tenant = Tenant(stack)
    project = tenant.project()
    path = f"/projects/{project['id']}"
    first = written(
        tenant.command("POST", f"/projects/{project['id']}/tasks", json={"title": "a"}), 201
    )
    view = read(tenant, path, first)
    etag = view.headers["ETag"]
    assert read(tenant, path, first, etag).status_code == 304
    second = written(
        tenant.command("POST", f"/projects/{project['id']}/tasks", json={"title": "b"}), 201
    )
    changed = read(tenant, path, second, etag)
    assert changed.status_code == 200, "a new task is a new body: never a stale 304"
    assert len(changed.json()["tasks"]) == 2
    assert changed.headers["ETag"] != etag
    written(tenant.command("PATCH", path, json={"name": "n"}, headers={"If-Match": etag}))


def patch_with(tenant: Tenant, path: str, if_match: str) -> httpx.Response:
    return tenant.command("PATCH", path, json={"name": "n"}, headers={"If-Match": if_match})


def test_if_match_follows_rfc_9110(stack: Stack) -> None:
    tenant = Tenant(stack)
    project: dict[str, Any] = tenant.project()
    path = f"/projects/{project['id']}"
    assert project["version"] == 1
    assert patch_with(tenant, path, '"7", "1"').status_code == 200
    assert patch_with(tenant, path, '"7", "1.x"').status_code == 412
    assert patch_with(tenant, path, 'W/"2"').status_code == 412, "a weak tag never matches"
    assert patch_with(tenant, path, '"abc"').status_code == 412, "no version: never matches"
    assert patch_with(tenant, path, '"2.anything"').status_code == 200
    assert patch_with(tenant, path, "*").status_code == 200
    missing = tenant.command(
        "PATCH",
        "/projects/00000000-0000-4000-8000-000000000000",
        json={"name": "n"},
        headers={"If-Match": "*"},
    )
    assert missing.status_code == 404
    for bad in ("", "yesterday", '"4', '"4", x', '"4" "5"'):
        refused = patch_with(tenant, path, bad)
        assert refused.status_code == 400, bad
        assert '"<version>' in refused.json()["detail"], refused.text

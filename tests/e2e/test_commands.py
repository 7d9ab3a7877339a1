"""Every command route through HTTP, against real PostgreSQL and NATS."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def alice(stack: Stack) -> Tenant:
    return Tenant(stack)


def test_project_lifecycle_with_etags_and_positions(alice: Tenant) -> None:
    created = alice.command("POST", "/projects", json={"name": " Launch ", "description": "Q3"})
    assert created.status_code == 201
    project = created.json()
    assert (project["name"], project["tasks"], created.headers["ETag"]) == ("Launch", [], '"1"')
    assert created.headers["Location"] == f"{alice.stack.query_url}/api/v1/projects/{project['id']}"

    renamed = alice.command("PATCH", f"/projects/{project['id']}", json={"name": "Go live"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Go live"
    assert renamed.json()["description"] == "Q3"
    assert "tasks" not in renamed.json()
    assert renamed.headers["ETag"] == '"2"'
    position = int(renamed.headers["X-Event-Position"])
    assert position > int(created.headers["X-Event-Position"])

    cleared = alice.command("PATCH", f"/projects/{project['id']}", json={"description": None})
    assert cleared.json()["description"] is None

    unchanged = alice.command("PATCH", f"/projects/{project['id']}", json={})
    assert unchanged.status_code == 200
    assert unchanged.headers["ETag"] == '"3"'
    assert int(unchanged.headers["X-Event-Position"]) >= position

    deleted = alice.command("DELETE", f"/projects/{project['id']}")
    assert (deleted.status_code, deleted.headers["ETag"], deleted.content) == (204, '"4"', b"")
    assert alice.command("DELETE", f"/projects/{project['id']}").status_code == 404
    assert alice.command("PATCH", f"/projects/{project['id']}", json={}).status_code == 404


def test_task_lifecycle_moves_changes_and_tags(alice: Tenant) -> None:
    first, second = alice.project("one"), alice.project("two")
    bug, ux = alice.tag("bug", "#ff0000"), alice.tag("ux")
    task = alice.task(first["id"], "Fix", description="it", tag_ids=[bug["id"], bug["id"]])
    assert task["status"] == "pending"
    assert task["tags"] == [{"id": bug["id"], "name": "bug", "color": "#ff0000"}]
    assert task["version"] == 2

    patched = alice.command(
        "PATCH",
        f"/tasks/{task['id']}",
        json={"title": "Fix it", "status": "in_progress", "project_id": second["id"]},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["title"], body["status"], body["project_id"]) == (
        "Fix it",
        "in_progress",
        second["id"],
    )
    assert body["version"] == 5

    assert alice.command("PUT", f"/tasks/{task['id']}/tags/{ux['id']}").status_code == 204
    again = alice.command("PUT", f"/tasks/{task['id']}/tags/{ux['id']}")
    assert (again.status_code, again.headers["ETag"]) == (204, '"6"')
    untagged = alice.command("DELETE", f"/tasks/{task['id']}/tags/{bug['id']}")
    assert (untagged.status_code, untagged.headers["ETag"]) == (204, '"7"')

    assert alice.command("DELETE", f"/tags/{ux['id']}").status_code == 204
    after = alice.command("PATCH", f"/tasks/{task['id']}", json={})
    assert after.json()["tags"] == []
    assert alice.command("PUT", f"/tasks/{task['id']}/tags/{ux['id']}").status_code == 404

    assert alice.command("DELETE", f"/tasks/{task['id']}").status_code == 204
    assert alice.command("PATCH", f"/tasks/{task['id']}", json={}).status_code == 404


def test_a_deleted_project_takes_no_tasks_and_its_tasks_end_with_it(alice: Tenant) -> None:
    project = alice.project()
    task = alice.task(project["id"])
    assert alice.command("DELETE", f"/projects/{project['id']}").status_code == 204
    late = alice.command("POST", f"/projects/{project['id']}/tasks", json={"title": "late"})
    assert late.status_code == 404
    assert alice.command("PATCH", f"/tasks/{task['id']}", json={"title": "x"}).status_code == 404
    other = alice.project("other")
    moved = alice.command("PATCH", f"/tasks/{task['id']}", json={"project_id": other["id"]})
    assert moved.status_code == 404


def test_moving_to_a_deleted_project_is_refused(alice: Tenant) -> None:
    home, gone = alice.project("home"), alice.project("gone")
    task = alice.task(home["id"])
    alice.command("DELETE", f"/projects/{gone['id']}")
    moved = alice.command("PATCH", f"/tasks/{task['id']}", json={"project_id": gone["id"]})
    assert moved.status_code == 404
    assert "project" in moved.json()["detail"]


def test_tag_names_are_unique_ignoring_case_and_free_again_after_rename_or_delete(
    alice: Tenant,
) -> None:
    tag = alice.tag("Bug")
    taken = alice.command("POST", "/tags", json={"name": "BUG"})
    assert taken.status_code == 409
    assert taken.headers["content-type"] == "application/problem+json"
    recased = alice.command("PATCH", f"/tags/{tag['id']}", json={"name": "BUG"})
    assert (recased.status_code, recased.json()["name"]) == (200, "BUG")
    alice.command("PATCH", f"/tags/{tag['id']}", json={"name": "Defect"})
    assert alice.command("POST", "/tags", json={"name": "bug"}).status_code == 201
    other = alice.tag("Other")
    clash = alice.command("PATCH", f"/tags/{other['id']}", json={"name": "defect"})
    assert clash.status_code == 409
    alice.command("DELETE", f"/tags/{tag['id']}")
    assert (
        alice.command("PATCH", f"/tags/{other['id']}", json={"name": "defect"}).status_code == 200
    )


def test_if_match_answers_412_when_the_version_moved(alice: Tenant) -> None:
    project = alice.project()
    path = f"/projects/{project['id']}"
    ok = alice.command("PATCH", path, json={"name": "a"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    stale = alice.command("PATCH", path, json={"name": "b"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["status"] == 412
    bad = alice.command("PATCH", path, json={"name": "b"}, headers={"If-Match": "yesterday"})
    assert bad.status_code == 400
    task = alice.task(project["id"])
    tag = alice.tag("t")
    tagged = alice.command(
        "PUT", f"/tasks/{task['id']}/tags/{tag['id']}", headers={"If-Match": '"9"'}
    )
    assert tagged.status_code == 412
    gone = alice.command("DELETE", path, headers={"If-Match": '"2"'})
    assert gone.status_code == 204


def test_idempotency_key_replays_the_first_answer_and_records_nothing_new(alice: Tenant) -> None:
    key = {"Idempotency-Key": f"create-{uuid4()}"}
    first = alice.command("POST", "/projects", json={"name": "Once"}, headers=key)
    second = alice.command("POST", "/projects", json={"name": "Once"}, headers=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert first.headers["X-Event-Position"] == second.headers["X-Event-Position"]
    assert second.headers["Idempotent-Replayed"] == "true"
    other_body = alice.command("POST", "/projects", json={"name": "Twice"}, headers=key)
    assert other_body.status_code == 422
    other_tenant = Tenant(alice.stack)
    theirs = other_tenant.command("POST", "/projects", json={"name": "Once"}, headers=key)
    assert theirs.status_code == 201
    assert theirs.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/projects", {"name": ""}),
        ("POST", "/projects", {"name": "x" * 256}),
        ("POST", "/projects", {"name": "ok", "description": "x" * 1001}),
        ("POST", "/projects", {"name": "ok", "owner": "me"}),
        ("POST", "/projects", ["not", "an", "object"]),
        ("POST", "/tags", {"name": "x" * 101}),
        ("POST", "/tags", {"name": "ok", "color": "red"}),
        ("POST", "/tags", {"name": "a\u0000"}),
        ("POST", "/projects", {"name": "ok", "description": "nul \u0000 inside"}),
    ],
)
def test_bad_input_is_a_422_problem_and_records_nothing(
    alice: Tenant, method: str, path: str, body: object
) -> None:
    before = alice.command("PATCH", f"/projects/{alice.project()['id']}", json={})
    answer = alice.command(method, path, json=body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"]
    after = alice.command("PATCH", f"/projects/{alice.project()['id']}", json={})
    created_between = int(after.headers["X-Event-Position"]) - int(
        before.headers["X-Event-Position"]
    )
    assert created_between == 1


def test_bad_values_on_patch_and_task_routes_are_422(alice: Tenant) -> None:
    project = alice.project()
    task = alice.task(project["id"])
    for path, body in [
        (f"/projects/{project['id']}", {"name": None}),
        (f"/tasks/{task['id']}", {"status": "later"}),
        (f"/tasks/{task['id']}", {"title": None}),
        (f"/tasks/{task['id']}", {"project_id": "nope"}),
    ]:
        assert alice.command("PATCH", path, json=body).status_code == 422, body
    bad = alice.command("POST", f"/projects/{project['id']}/tasks", json={"title": "x" * 256})
    assert bad.status_code == 422
    assert alice.command("PATCH", "/tasks/not-a-uuid", json={}).status_code == 422


def test_a_bad_token_is_401_on_every_route(alice: Tenant) -> None:
    url = f"{alice.stack.command_url}/api/v1/projects"
    for headers in ({}, {"X-Tenant-Token": "garbage"}, {"Authorization": "Bearer x.y.z"}):
        answer = httpx.post(url, json={"name": "x"}, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"

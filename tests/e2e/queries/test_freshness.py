"""Read-your-writes through X-Min-Position, and ETags that change only with the body."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.queries.reader import (
    ROUTES,
    Client,
    as_read,
    ok,
    problem,
    summary,
    tag_ref,
)

pytestmark = pytest.mark.e2e


def test_every_query_route_reads_the_write_just_made(stack: Stack) -> None:
    me = Client(stack)
    project = me.project("Launch")
    assert me.get("/projects") == {"items": [summary(project, 0)], "next_cursor": None}
    assert me.get(f"/projects/{project['id']}") == project

    bug = me.tag("bug", "#ff0000")
    assert me.get(f"/tags/{bug['id']}") == {**bug, "task_count": 0}
    assert me.get("/tags") == {"items": [{**bug, "task_count": 0}], "next_cursor": None}

    task = as_read(me.task(project["id"], "Write", description="it", tag_ids=[bug["id"]]))
    assert me.get(f"/tasks/{task['id']}") == task
    assert me.get("/tasks") == {"items": [task], "next_cursor": None}
    assert me.get(f"/projects/{project['id']}") == {**project, "tasks": [task]}
    assert me.get("/projects")["items"] == [summary(project, 1)]
    assert me.get(f"/tags/{bug['id']}")["task_count"] == 1

    patched = me.ok_command(
        "PATCH", f"/tasks/{task['id']}", json={"title": "Rewrite", "status": "done"}
    ).json()
    assert me.get(f"/tasks/{task['id']}") == as_read(patched)
    assert me.get("/tasks", {"status": "done"})["items"] == [as_read(patched)]
    assert me.get("/tasks", {"status": "pending"})["items"] == []

    renamed = me.ok_command("PATCH", f"/tags/{bug['id']}", json={"name": "defect"}).json()
    assert me.get(f"/tags/{bug['id']}") == {**renamed, "task_count": 1}
    assert me.get(f"/tasks/{task['id']}")["tags"] == [tag_ref(renamed)]

    project_patch = me.ok_command("PATCH", f"/projects/{project['id']}", json={"name": "Go"})
    assert me.get("/projects")["items"] == [project_patch.json() | {"task_count": 1}]


def test_a_position_not_reached_in_time_is_503_with_retry_after(stack: Stack) -> None:
    me = Client(stack)
    me.project()
    far = me.seen + 10**12
    started = me.read("/projects", after=far)
    body = problem(started, 503)
    assert started.headers["Retry-After"]
    assert int(started.headers["X-Projection-Position"]) >= me.seen
    assert str(far) in body["detail"]
    for garbage in ("-1", "abc", "1.5", "9" * 40):
        problem(me.query("/projects", headers={"X-Min-Position": garbage}), 422)


def test_if_none_match_is_304_until_the_body_changes(stack: Stack) -> None:
    me = Client(stack)
    project = me.project()
    tag = me.tag("t")
    task = me.task(project["id"], tag_ids=[tag["id"]])
    paths = [r.format(project=project["id"], task=task["id"], tag=tag["id"]) for r in ROUTES]
    etags: dict[str, str] = {}
    for path in paths:
        first = me.read(path)
        ok(first)
        etag = etags[path] = first.headers["ETag"]
        assert me.read(path).headers["ETag"] == etag, "an unchanged body keeps its ETag"
        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            cached = me.read(path, headers={"If-None-Match": header})
            assert (cached.status_code, cached.content) == (304, b""), (path, header)
            assert cached.headers["ETag"] == etag
        other = me.read(path, headers={"If-None-Match": '"other"'})
        assert (ok(other), other.headers["ETag"]) == (first.json(), etag)

    def changed_since(previous: Mapping[str, str]) -> set[str]:
        changed = set()
        for path in paths:
            answer = me.read(path, headers={"If-None-Match": previous[path]})
            if answer.status_code == 304:
                continue
            body = ok(answer)
            assert answer.headers["ETag"] != previous[path], path
            etags[path] = answer.headers["ETag"]
            assert me.read(path, headers={"If-None-Match": etags[path]}).status_code == 304
            assert body == me.get(path)
            changed.add(path)
        return changed

    task_views = {"/tasks", f"/tasks/{task['id']}", f"/projects/{project['id']}"}
    me.ok_command("PATCH", f"/tasks/{task['id']}", json={"title": "renamed"})
    assert changed_since(dict(etags)) == task_views
    me.ok_command("DELETE", f"/tasks/{task['id']}/tags/{tag['id']}")
    assert changed_since(dict(etags)) == task_views | {"/tags", f"/tags/{tag['id']}"}
    me.ok_command("PATCH", f"/projects/{project['id']}", json={"description": "now"})
    assert changed_since(dict(etags)) == {"/projects", f"/projects/{project['id']}"}
    me.ok_command("POST", f"/projects/{project['id']}/tasks", json={"title": "more"})
    assert changed_since(dict(etags)) == {"/projects", f"/projects/{project['id']}", "/tasks"}

"""task_count on projects and tags, through every kind of change."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.queries.reader import (
    Client,
)

pytestmark = pytest.mark.e2e


def check_counts(me: Client, projects: Mapping[str, int], tags: Mapping[str, int]) -> None:
    """task_count on every list and detail agrees with the expectation and with the filters."""
    listed = {p["id"]: p["task_count"] for p in me.get("/projects")["items"]}
    assert listed == projects
    for project_id, count in projects.items():
        assert len(me.get("/tasks", {"project_id": project_id})["items"]) == count
    listed = {g["id"]: g["task_count"] for g in me.get("/tags")["items"]}
    assert listed == tags
    for tag_id, count in tags.items():
        assert me.get(f"/tags/{tag_id}")["task_count"] == count
        assert len(me.get("/tasks", {"tag_id": tag_id})["items"]) == count


def test_task_counts_follow_every_kind_of_change(stack: Stack) -> None:
    me = Client(stack)
    p, q = me.project("P")["id"], me.project("Q")["id"]
    x, y = me.tag("X")["id"], me.tag("Y")["id"]
    check_counts(me, {p: 0, q: 0}, {x: 0, y: 0})

    a = me.task(p, "a", tag_ids=[x])["id"]
    b = me.task(p, "b", tag_ids=[x, y])["id"]
    c = me.task(q, "c")["id"]
    check_counts(me, {p: 2, q: 1}, {x: 2, y: 1})

    me.ok_command("PATCH", f"/tasks/{a}", json={"project_id": q})
    check_counts(me, {p: 1, q: 2}, {x: 2, y: 1})
    me.ok_command("PATCH", f"/tasks/{a}", json={"project_id": q})
    check_counts(me, {p: 1, q: 2}, {x: 2, y: 1})

    me.ok_command("DELETE", f"/tasks/{b}/tags/{x}")
    me.ok_command("DELETE", f"/tasks/{b}/tags/{x}")
    me.ok_command("PUT", f"/tasks/{c}/tags/{y}")
    me.ok_command("PUT", f"/tasks/{c}/tags/{y}")
    check_counts(me, {p: 1, q: 2}, {x: 1, y: 2})

    me.ok_command("DELETE", f"/tasks/{b}")
    check_counts(me, {p: 0, q: 2}, {x: 1, y: 1})

    me.ok_command("DELETE", f"/tags/{x}")
    check_counts(me, {p: 0, q: 2}, {y: 1})
    assert me.get(f"/tasks/{a}")["tags"] == []
    assert me.get("/tasks", {"tag_id": x})["items"] == []

    me.ok_command("PUT", f"/tasks/{a}/tags/{y}")
    check_counts(me, {p: 0, q: 2}, {y: 2})
    me.ok_command("DELETE", f"/projects/{q}")
    check_counts(me, {p: 0}, {y: 0})
    assert me.get("/tasks") == {"items": [], "next_cursor": None}

"""Keyset pagination of every list: limits, cursors, and walks while items come and go."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.queries.reader import (
    LISTS,
    Client,
    Item,
    as_read,
    b64,
    ids,
    in_order,
    problem,
    summary,
    walk,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", LISTS)
def test_an_empty_tenant_has_empty_pages(stack: Stack, path: str) -> None:
    me = Client(stack)
    for params in ({}, {"limit": 1}, {"limit": 200}):
        assert me.get(path, params) == {"items": [], "next_cursor": None}


def test_limit_one_walks_every_list_once_in_key_order(stack: Stack) -> None:
    me = Client(stack)
    projects = [me.project(f"p{i}") for i in range(3)]
    tags = [me.tag(f"g{i}") for i in range(3)]
    spread = [0, 1, 0, 2]
    tasks = [as_read(me.task(projects[p]["id"], f"t{i}")) for i, p in enumerate(spread)]
    expected: dict[str, list[Item]] = {
        "/projects": in_order(summary(p, spread.count(i)) for i, p in enumerate(projects)),
        "/tags": in_order({**t, "task_count": 0} for t in tags),
        "/tasks": in_order(tasks),
    }
    for path, items in expected.items():
        total = len(items)
        assert walk(me, path, {}, 1) == items, path
        assert me.get(path) == {"items": items, "next_cursor": None}
        assert me.get(path, {"limit": total}) == {"items": items, "next_cursor": None}
        assert me.get(path, {"limit": 200}) == {"items": items, "next_cursor": None}
        short = me.get(path, {"limit": total - 1})
        assert short["items"] == items[:-1]
        assert isinstance(short["next_cursor"], str)
        rest = me.get(path, {"limit": total - 1, "cursor": short["next_cursor"]})
        assert rest == {"items": items[-1:], "next_cursor": None}


def test_the_default_page_holds_50_and_the_cursor_continues(stack: Stack) -> None:
    me = Client(stack)
    tags = in_order({**me.tag(f"tag {i:02}"), "task_count": 0} for i in range(51))
    first = me.get("/tags")
    assert first["items"] == tags[:50]
    assert isinstance(first["next_cursor"], str)
    assert me.get("/tags", {"cursor": first["next_cursor"]}) == {
        "items": tags[50:],
        "next_cursor": None,
    }
    assert me.get("/tags", {"limit": 200}) == {"items": tags, "next_cursor": None}


def test_a_walk_neither_skips_nor_repeats_when_items_come_and_go(stack: Stack) -> None:
    me = Client(stack)
    tags = [me.tag(f"g{i}") for i in range(4)]
    first = me.get("/tags", {"limit": 2})
    assert ids(first["items"]) == ids(in_order(tags))[:2]
    for gone in first["items"]:
        me.ok_command("DELETE", f"/tags/{gone['id']}")
    late = me.tag("late")
    rest = me.get("/tags", {"limit": 2, "cursor": first["next_cursor"]})
    assert ids(rest["items"]) == ids(in_order(tags))[2:]
    last = me.get("/tags", {"limit": 2, "cursor": rest["next_cursor"]})
    assert last == {"items": [{**late, "task_count": 0}], "next_cursor": None}


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", ["0", "201", "-1", "1e2", "ten", ""])
def test_a_limit_outside_1_to_200_is_a_422_problem(stack: Stack, path: str, limit: str) -> None:
    me = Client(stack)
    body = problem(me.read(path, {"limit": limit}), 422)
    assert any("limit" in error["loc"] for error in body["errors"]), body


GARBLED_CURSORS = [
    "%%%",
    "a",
    "bm90aGluZw",  # "nothing"
    "A" * 2000,
    b64(b"\xff\xfe\xfd"),
    b64(f"2026-01-01T00:00:00|{uuid4()}"),  # a time without a zone
    b64("2026-01-01T00:00:00+00:00|not-a-uuid"),
    b64(f"yesterday|{uuid4()}"),
    b64(f"2026-01-01T00:00:00+00:00|{uuid4()}|more"),
    b64(str(uuid4())),
]


@pytest.mark.parametrize("path", LISTS)
def test_a_cursor_this_api_did_not_issue_is_a_400_problem(stack: Stack, path: str) -> None:
    me = Client(stack)
    me.project()
    for cursor in GARBLED_CURSORS:
        problem(me.read(path, {"cursor": cursor}), 400)
        problem(me.read(path, {"cursor": cursor, "limit": 1}), 400)


def test_a_cursor_continues_only_the_list_it_came_from(stack: Stack) -> None:
    me, other = Client(stack), Client(stack)
    project = me.project()
    tasks = in_order(as_read(me.task(project["id"], f"t{i}")) for i in range(2))
    filtered = {"project_id": project["id"]}
    cursor = me.get("/tasks", {**filtered, "limit": 1})["next_cursor"]
    assert isinstance(cursor, str)
    assert me.get("/tasks", {**filtered, "limit": 5, "cursor": cursor}) == {
        "items": tasks[1:],
        "next_cursor": None,
    }
    elsewhere: list[tuple[Client, str, dict[str, str]]] = [
        (me, "/tasks", {}),
        (me, "/tasks", {**filtered, "status": "pending"}),
        (me, "/projects", {}),
        (me, "/tags", {}),
        (other, "/tasks", filtered),
    ]
    for reader, path, params in elsewhere:
        body = problem(reader.read(path, {**params, "cursor": cursor}), 400)
        assert "start again" in body["detail"], (path, params)

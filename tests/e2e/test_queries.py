"""Every query route through HTTP, reading what the command API wrote via the projector.

Each test uses tenants of its own, so data never leaks between tests, and every read
sends the last write's X-Event-Position as X-Min-Position: nothing sleeps or polls.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

Item = dict[str, Any]
Params = Mapping[str, str | int]
LISTS = ["/projects", "/tasks", "/tags"]
PROBLEM = "application/problem+json"


@dataclass
class Client(Tenant):
    """A tenant that remembers its last write's position and reads at or after it."""

    seen: int = 0

    def command(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = super().command(method, path, **kwargs)
        position = answer.headers.get("X-Event-Position")
        if position is not None:
            self.seen = max(self.seen, int(position))
        return answer

    def read(
        self,
        path: str,
        params: Params | None = None,
        *,
        after: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET on the query API once the read model holds `after` (default: our last write)."""
        wait = self.seen if after is None else after
        answer = self.query(
            path, params=params, headers={"X-Min-Position": str(wait), **(headers or {})}
        )
        if answer.status_code in (200, 304):
            assert int(answer.headers["X-Projection-Position"]) >= wait, answer.headers
            assert answer.headers["ETag"].startswith('"'), answer.headers
        return answer

    def get(self, path: str, params: Params | None = None, *, after: int | None = None) -> Any:
        return ok(self.read(path, params, after=after))

    def ok_command(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = self.command(method, path, **kwargs)
        assert answer.status_code in (200, 201, 204), f"{method} {path}: {answer.text}"
        return answer


def ok(answer: httpx.Response) -> Any:
    request = answer.request
    assert answer.status_code == 200, (
        f"{request.method} {request.url}: {answer.status_code} {answer.text}"
    )
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


def problem(answer: httpx.Response, status: int) -> Item:
    request = answer.request
    assert answer.status_code == status, (
        f"{request.method} {request.url}: {answer.status_code} {answer.text}"
    )
    assert answer.headers["content-type"] == PROBLEM
    body: Item = answer.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def key(item: Mapping[str, Any]) -> tuple[str, str]:
    """The list order: creation time (RFC 3339, comparable as text), then id."""
    return (item["created_at"], item["id"])


def in_order(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=key)


def ids(items: Iterable[Mapping[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def as_read(task: Item) -> Item:
    """A command's Task answer as the query API spells it: tags sorted by lower(name)."""
    tags = sorted(task["tags"], key=lambda t: (t["name"].lower(), t["id"]))
    return {**task, "tags": tags}


def summary(project: Item, task_count: int) -> Item:
    return {k: v for k, v in project.items() if k != "tasks"} | {"task_count": task_count}


def tag_ref(tag: Item) -> Item:
    return {"id": tag["id"], "name": tag["name"], "color": tag["color"]}


def walk(client: Client, path: str, params: Params, limit: int) -> list[Item]:
    """Every page of a list at `limit`, checking the page shape on the way."""
    items: list[Item] = []
    cursor: str | None = None
    for _ in range(1000):
        query = {**params, "limit": limit} | ({"cursor": cursor} if cursor else {})
        page = client.get(path, query)
        assert set(page) == {"items", "next_cursor"}
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(page["items"]) <= limit
            return items
        assert isinstance(cursor, str)
        assert len(page["items"]) == limit, (path, params, page)
    raise AssertionError(f"{path} {params}: more than 1000 pages")


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# 1. Read-your-writes ---------------------------------------------------------------------


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


# 2. Pagination ---------------------------------------------------------------------------


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


# 3. Filters ------------------------------------------------------------------------------

STATUSES = ["pending", "in_progress", "done", "cancelled"]
# name: (project, status, tags). Built so that every filter, pair and triple below
# selects its own set: dropping any one filter of a combination changes the answer.
TASKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "a": ("A", "pending", ("X",)),
    "b": ("A", "done", ("X",)),
    "c": ("A", "pending", ("Y",)),
    "d": ("A", "done", ()),
    "e": ("B", "pending", ("X",)),
    "f": ("B", "done", ("X", "Y")),
    "g": ("B", "pending", ()),
    "h": ("A", "pending", ("X", "Y")),
    "i": ("B", "in_progress", ("Y",)),
}
SELECTIONS: dict[tuple[str | None, str | None, str | None], str] = {
    ("A", None, None): "abcdh",
    ("B", None, None): "efgi",
    (None, "pending", None): "acegh",
    (None, "done", None): "bdf",
    (None, "in_progress", None): "i",
    (None, "cancelled", None): "",
    (None, None, "X"): "abefh",
    (None, None, "Y"): "cfhi",
    ("A", "pending", None): "ach",
    ("A", None, "X"): "abh",
    (None, "pending", "X"): "aeh",
    ("B", None, "Y"): "fi",
    (None, "done", "Y"): "f",
    ("A", "pending", "X"): "ah",
    ("A", "done", "Y"): "",
    ("B", "in_progress", "Y"): "i",
}


def check_every_filter_combination(
    me: Client,
    model: Mapping[str, tuple[str, str, tuple[str, ...]]],
    tasks: Mapping[str, Item],
    refs: Mapping[str, str],
) -> None:
    """All 3 x 5 x 3 combinations, each in one page and walked two at a time."""
    for project, status, tag in itertools.product(
        [None, "A", "B"], [None, *STATUSES], [None, "X", "Y"]
    ):
        params: dict[str, str | int] = {}
        if project:
            params["project_id"] = refs[project]
        if status:
            params["status"] = status
        if tag:
            params["tag_id"] = refs[tag]
        expected = in_order(
            tasks[name]
            for name, (p, s, t) in model.items()
            if project in (None, p) and status in (None, s) and (tag is None or tag in t)
        )
        assert me.get("/tasks", params) == {"items": expected, "next_cursor": None}, params
        assert walk(me, "/tasks", params, 2) == expected, params


def test_task_filters_combine_and_paginate(stack: Stack) -> None:
    me = Client(stack)
    refs = {"A": me.project("A")["id"], "B": me.project("B")["id"]}
    refs |= {"X": me.tag("X")["id"], "Y": me.tag("Y")["id"]}
    tasks = {
        name: as_read(me.task(refs[p], name, status=s, tag_ids=[refs[t] for t in tags]))
        for name, (p, s, tags) in TASKS.items()
    }
    title = {task["id"]: task["title"] for task in tasks.values()}
    for (project, status, tag), names in SELECTIONS.items():
        params = {
            "project_id": project and refs[project],
            "status": status,
            "tag_id": tag and refs[tag],
        }
        got = me.get("/tasks", {k: v for k, v in params.items() if v})
        assert "".join(sorted(title[i] for i in ids(got["items"]))) == names, params
    check_every_filter_combination(me, TASKS, tasks, refs)

    # Filters follow moves, status changes and untagging.
    model = dict(TASKS)
    me.ok_command("PATCH", f"/tasks/{tasks['a']['id']}", json={"project_id": refs["B"]})
    model["a"] = ("B", "pending", ("X",))
    me.ok_command("PATCH", f"/tasks/{tasks['b']['id']}", json={"status": "cancelled"})
    model["b"] = ("A", "cancelled", ("X",))
    me.ok_command("DELETE", f"/tasks/{tasks['h']['id']}/tags/{refs['X']}")
    model["h"] = ("A", "pending", ("Y",))
    me.ok_command("PUT", f"/tasks/{tasks['g']['id']}/tags/{refs['Y']}")
    model["g"] = ("B", "pending", ("Y",))
    current = {name: me.get(f"/tasks/{task['id']}") for name, task in tasks.items()}
    check_every_filter_combination(me, model, current, refs)
    got = me.get("/tasks", {"project_id": refs["A"], "status": "pending", "tag_id": refs["X"]})
    assert got["items"] == []


def test_bad_filter_values_are_422_and_unknown_ids_match_nothing(stack: Stack) -> None:
    me = Client(stack)
    project = me.project()
    me.task(project["id"])
    for params in ({"status": "later"}, {"project_id": "nope"}, {"tag_id": "1"}):
        problem(me.read("/tasks", params), 422)
    for params in ({"project_id": str(uuid4())}, {"tag_id": str(uuid4())}):
        assert me.get("/tasks", params) == {"items": [], "next_cursor": None}


# 4. Counts -------------------------------------------------------------------------------


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

    me.ok_command("PUT", f"/tasks/{a}/tags/{y}")
    check_counts(me, {p: 0, q: 2}, {y: 2})
    me.ok_command("DELETE", f"/projects/{q}")
    check_counts(me, {p: 0}, {y: 0})
    assert me.get("/tasks") == {"items": [], "next_cursor": None}


# 5. Nested view --------------------------------------------------------------------------


def test_the_nested_project_view(stack: Stack) -> None:
    me = Client(stack)
    home, away = me.project("home"), me.project("away")
    beta, alpha, gamma = me.tag("Beta", "#00ff00"), me.tag("alpha"), me.tag("Gamma", "#0000ff")
    first = me.task(home["id"], "first", tag_ids=[gamma["id"], beta["id"], alpha["id"]])
    second = me.task(home["id"], "second")
    elsewhere = me.task(away["id"], "elsewhere", tag_ids=[beta["id"]])
    third = me.task(home["id"], "third", tag_ids=[beta["id"]], status="done")

    view = me.get(f"/projects/{home['id']}")
    assert "task_count" not in view
    assert view == {**home, "tasks": in_order(as_read(t) for t in (first, second, third))}
    by_id = {task["id"]: task for task in view["tasks"]}
    assert [g["name"] for g in by_id[first["id"]]["tags"]] == ["alpha", "Beta", "Gamma"]
    assert by_id[third["id"]]["tags"] == [tag_ref(beta)]
    for task in view["tasks"]:
        assert me.get(f"/tasks/{task['id']}") == task

    # A renamed or recoloured tag shows in every task at once, re-sorted.
    me.ok_command("PATCH", f"/tags/{alpha['id']}", json={"name": "zulu", "color": "#123456"})
    tags = me.get(f"/tasks/{first['id']}")["tags"]
    assert [(g["name"], g["color"]) for g in tags] == [
        ("Beta", "#00ff00"),
        ("Gamma", "#0000ff"),
        ("zulu", "#123456"),
    ]

    # A deleted tag leaves every task that carried it, in every view.
    me.ok_command("DELETE", f"/tags/{beta['id']}")
    view = me.get(f"/projects/{home['id']}")
    assert all(beta["id"] not in ids(task["tags"]) for task in view["tasks"])
    by_id = {task["id"]: task for task in view["tasks"]}
    assert [g["name"] for g in by_id[first["id"]]["tags"]] == ["Gamma", "zulu"]
    assert by_id[third["id"]]["tags"] == []
    assert me.get(f"/tasks/{elsewhere['id']}")["tags"] == []
    assert me.get(f"/projects/{away['id']}")["tasks"][0]["tags"] == []
    problem(me.read(f"/tags/{beta['id']}"), 404)

    # Deleted and moved tasks leave; a moved task keeps its place in (created_at, id).
    me.ok_command("DELETE", f"/tasks/{second['id']}")
    me.ok_command("PATCH", f"/tasks/{first['id']}", json={"project_id": away["id"]})
    assert ids(me.get(f"/projects/{home['id']}")["tasks"]) == [third["id"]]
    assert ids(me.get(f"/projects/{away['id']}")["tasks"]) == ids(in_order([first, elsewhere]))
    moved = me.get(f"/tasks/{first['id']}")
    assert (moved["project_id"], moved["created_at"]) == (away["id"], first["created_at"])

    # A deleted project is gone, and so are its tasks, exactly like ids never seen.
    me.ok_command("DELETE", f"/projects/{home['id']}")
    random = problem(me.read(f"/projects/{uuid4()}"), 404)
    assert problem(me.read(f"/projects/{home['id']}"), 404)["detail"] == random["detail"]
    random = problem(me.read(f"/tasks/{uuid4()}"), 404)
    assert problem(me.read(f"/tasks/{third['id']}"), 404)["detail"] == random["detail"]
    assert me.get("/tasks", {"project_id": home["id"]})["items"] == []
    assert ids(me.get("/projects")["items"]) == [away["id"]]

"""Every query route through HTTP, reading what the command API wrote via the projector.

Each test uses tenants of its own, so data never leaks between tests, and every read
sends the last write's X-Event-Position as X-Min-Position: nothing sleeps or polls.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import psycopg
import pytest

from services.query.queries import PROJECT_DOCUMENT, TASK_JSON
from shared.auth import issue_token
from shared.database import DatabaseAddress
from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

Item = dict[str, Any]
Params = Mapping[str, str | int]
LISTS = ["/projects", "/tasks", "/tags"]
PROBLEM = "application/problem+json"


_HTTP: list[httpx.Client] = []


@pytest.fixture(scope="module", autouse=True)
def http() -> Iterator[httpx.Client]:
    """One connection pool for the module: a new httpx client per request costs ~0.1 s."""
    with httpx.Client(timeout=30) as client:
        _HTTP.append(client)
        try:
            yield client
        finally:
            _HTTP.remove(client)


@dataclass
class Client(Tenant):
    """A tenant that remembers its last write's position and reads at or after it."""

    seen: int = 0

    def command(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        url = f"{self.stack.command_url}/api/v1{path}"
        answer = _HTTP[-1].request(method, url, headers=headers, **kwargs)
        position = answer.headers.get("X-Event-Position")
        if position is not None:
            self.seen = max(self.seen, int(position))
        return answer

    def query(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return _HTTP[-1].get(f"{self.stack.query_url}/api/v1{path}", headers=headers, **kwargs)

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


# 3. Filters ------------------------------------------------------------------------------

STATUSES = ["pending", "in_progress", "done", "cancelled"]
Spec = tuple[str, str, tuple[str, ...]]
Filter = tuple[str | None, str | None, str | None]
# name: (project, status, tags). Built so that every filter, pair and triple below
# selects its own set: dropping any one filter of a combination changes the answer.
TASKS: dict[str, Spec] = {
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
SELECTIONS: dict[Filter, str] = {  # (project, status, tag): the names selected
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
    ("B", "pending", "X"): "e",
}


def selects(spec: Spec, chosen: Filter) -> bool:
    (project, status, tags), (want_project, want_status, want_tag) = spec, chosen
    return (
        want_project in (None, project)
        and want_status in (None, status)
        and (want_tag is None or want_tag in tags)
    )


def filter_params(chosen: Filter, refs: Mapping[str, str]) -> dict[str, str]:
    project, status, tag = chosen
    params = {
        "project_id": project and refs[project],
        "status": status,
        "tag_id": tag and refs[tag],
    }
    return {name: value for name, value in params.items() if value}


def selection(model: Mapping[str, Spec], chosen: Filter) -> str:
    return "".join(sorted(name for name, spec in model.items() if selects(spec, chosen)))


def check_every_filter_combination(
    me: Client,
    model: Mapping[str, Spec],
    tasks: Mapping[str, Item],
    refs: Mapping[str, str],
) -> None:
    """All 3 x 5 x 3 combinations, each in one page and walked two at a time."""
    for project, status, tag in itertools.product(
        [None, "A", "B"], [None, *STATUSES], [None, "X", "Y"]
    ):
        params = filter_params((project, status, tag), refs)
        expected = in_order(
            tasks[name] for name, spec in model.items() if selects(spec, (project, status, tag))
        )
        assert me.get("/tasks", params) == {"items": expected, "next_cursor": None}, params
        assert walk(me, "/tasks", params, 2) == expected, params


def test_task_filters_combine_and_paginate(stack: Stack) -> None:
    for chosen, names in SELECTIONS.items():  # the data tells the combinations apart
        assert selection(TASKS, chosen) == names, chosen
        project, status, tag = chosen
        if sum(f is not None for f in chosen) > 1:
            for fewer in ((None, status, tag), (project, None, tag), (project, status, None)):
                assert fewer == chosen or selection(TASKS, fewer) != names, (chosen, fewer)
    me = Client(stack)
    refs = {"A": me.project("A")["id"], "B": me.project("B")["id"]}
    refs |= {"X": me.tag("X")["id"], "Y": me.tag("Y")["id"]}
    tasks = {
        name: as_read(me.task(refs[p], name, status=s, tag_ids=[refs[t] for t in tags]))
        for name, (p, s, tags) in TASKS.items()
    }
    title = {task["id"]: task["title"] for task in tasks.values()}
    for chosen, names in SELECTIONS.items():
        got = me.get("/tasks", filter_params(chosen, refs))
        assert "".join(sorted(title[i] for i in ids(got["items"]))) == names, chosen
    check_every_filter_combination(me, TASKS, tasks, refs)

    # Filters follow moves, status changes and untagging.
    model: dict[str, Spec] = dict(TASKS)
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
    assert me.get("/tasks", {"tag_id": x})["items"] == []

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
    assert me.get("/tasks", {"tag_id": beta["id"]}) == {"items": [], "next_cursor": None}

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


def fresh_view(stack: Stack, project_id: str) -> Item | None:
    """The nested view built now from the read tables, bypassing project_documents."""
    with psycopg.connect(DatabaseAddress.parse(stack.database_url).conninfo()) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        row = conn.execute(
            f"SELECT {PROJECT_DOCUMENT} FROM projects p WHERE p.id = %s",  # noqa: S608
            (project_id,),
        ).fetchone()
        cached = conn.execute(
            "SELECT p.task_count > 0, EXISTS (SELECT FROM project_documents d"
            " WHERE d.project_id = p.id AND d.revision = p.revision)"
            " FROM projects p WHERE p.id = %s",
            (project_id,),
        ).fetchone()
    if row is None:
        return None
    assert cached is not None
    has_tasks, kept = cached
    assert kept == has_tasks, "the view just read is kept at its revision if it has tasks"
    view: Item = json.loads(row[0])
    return view


def fresh_tasks(stack: Stack, project_id: str) -> list[Item]:
    """A project's tasks built now from the read tables, bypassing task_documents."""
    with psycopg.connect(DatabaseAddress.parse(stack.database_url).conninfo()) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        rows = conn.execute(
            f"SELECT {TASK_JSON}::text FROM tasks t WHERE t.project_id = %s"  # noqa: S608
            " ORDER BY t.created_at, t.id",
            (project_id,),
        ).fetchall()
        stale = conn.execute(
            "SELECT count(*) FROM tasks t JOIN task_documents d ON d.task_id = t.id"
            " WHERE t.project_id = %s AND d.revision <> t.revision",
            (project_id,),
        ).fetchone()
    assert stale == (0,), "the tasks just read should be kept at their current revision"
    return [json.loads(row[0]) for row in rows]


def test_the_kept_nested_view_follows_every_kind_of_change(stack: Stack) -> None:
    """Each view and task list is read (and so kept) before every change, then must
    equal a fresh build after it: a change that failed to make a kept copy stale would
    show here."""
    me = Client(stack)
    p, q = me.project("P")["id"], me.project("Q")["id"]
    x, y = me.tag("X", "#000001")["id"], me.tag("Y")["id"]
    a = me.task(p, "a", tag_ids=[x])["id"]
    b = me.task(p, "b", tag_ids=[x, y])["id"]
    changes: list[tuple[str, str, dict[str, Any]]] = [
        ("PATCH", f"/projects/{p}", {"json": {"name": "P2", "description": "d"}}),
        ("POST", f"/projects/{q}/tasks", {"json": {"title": "c", "tag_ids": [y]}}),
        ("PATCH", f"/tasks/{a}", {"json": {"title": "a2", "status": "in_progress"}}),
        ("PUT", f"/tasks/{a}/tags/{y}", {}),
        ("DELETE", f"/tasks/{b}/tags/{x}", {}),
        ("PATCH", f"/tags/{x}", {"json": {"name": "X2"}}),
        ("PATCH", f"/tags/{y}", {"json": {"color": "#abcdef"}}),
        ("PATCH", f"/tasks/{a}", {"json": {"project_id": q}}),
        ("DELETE", f"/tags/{y}", {}),
        ("DELETE", f"/tasks/{b}", {}),
        ("DELETE", f"/projects/{q}", {}),
    ]
    for method, path, kwargs in changes:
        for project in (p, q):
            answer = me.read(f"/projects/{project}")
            assert answer.status_code in (200, 404)
            if answer.status_code == 200:
                assert answer.json() == fresh_view(stack, project)
            assert me.get("/tasks", {"project_id": project})["items"] == fresh_tasks(stack, project)
        me.ok_command(method, path, **kwargs)
        for project in (p, q):
            answer = me.read(f"/projects/{project}")
            expected = fresh_view(stack, project)
            if expected is None:
                problem(answer, 404)
            else:
                assert ok(answer) == expected, f"after {method} {path}"
            listed = me.get("/tasks", {"project_id": project})["items"]
            assert listed == fresh_tasks(stack, project), f"after {method} {path}"
    assert [t["title"] for t in me.get(f"/projects/{p}")["tasks"]] == []
    with psycopg.connect(DatabaseAddress.parse(stack.database_url).conninfo()) as conn:
        kept = conn.execute("SELECT 1 FROM project_documents WHERE project_id = %s", (q,))
        assert kept.fetchone() is None, "a deleted project's view is dropped with it"


# 6. ETag and If-None-Match ---------------------------------------------------------------

ROUTES = ["/projects", "/projects/{project}", "/tasks", "/tasks/{task}", "/tags", "/tags/{tag}"]


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


# 7. Isolation ----------------------------------------------------------------------------


@dataclass
class Party:
    """A tenant with projects, tags and tagged tasks of its own."""

    client: Client
    refs: dict[str, str]
    lists: dict[str, list[str]]

    @property
    def owns(self) -> set[str]:
        return {i for items in self.lists.values() for i in items}


def party(client: Client, copies: int) -> Party:
    tags = [client.tag(f"mine {i}") for i in range(copies)]
    projects = [client.project("mine") for _ in range(copies)]
    tasks = [
        client.task(p["id"], "mine", tag_ids=[g["id"] for g in tags[: i + 1]])
        for i, p in enumerate(projects)
    ]
    refs = {"project": projects[0]["id"], "task": tasks[0]["id"], "tag": tags[0]["id"]}
    lists = {"/projects": projects, "/tags": tags, "/tasks": tasks}
    return Party(client, refs, {path: ids(in_order(items)) for path, items in lists.items()})


@pytest.fixture(scope="module")
def owner(stack: Stack) -> Party:
    return party(Client(stack), 2)


@pytest.fixture
def intruder(stack: Stack, owner: Party) -> Party:
    """Another tenant, with the same names, whose reads wait for the owner's writes too."""
    return party(Client(stack, seen=owner.client.seen), 1)


@pytest.mark.parametrize("route", ["/projects/{project}", "/tasks/{task}", "/tags/{tag}"])
def test_another_tenants_resource_is_404_exactly_like_a_random_id(
    owner: Party, intruder: Party, route: str
) -> None:
    path = route.format(**owner.refs)
    mine = owner.client.read(path)
    assert ok(mine)["id"] in owner.owns
    me = intruder.client
    assert me.get(route.format(**intruder.refs))["id"] in intruder.owns
    missing = problem(me.read(route.format(project=uuid4(), task=uuid4(), tag=uuid4())), 404)
    assert problem(me.read(path), 404) == missing
    for header in (mine.headers["ETag"], "*"):
        assert problem(me.read(path, headers={"If-None-Match": header}), 404) == missing


# Filter values: "owner" is the owner's id of that kind, "self" the reader's own.
ISOLATED_LISTS: list[tuple[str, dict[str, str]]] = [
    ("/projects", {}),
    ("/tags", {}),
    ("/tasks", {}),
    ("/tasks", {"status": "pending"}),
    ("/tasks", {"project_id": "owner"}),
    ("/tasks", {"tag_id": "owner"}),
    ("/tasks", {"project_id": "owner", "tag_id": "owner"}),
    ("/tasks", {"project_id": "self", "tag_id": "owner"}),
    ("/tasks", {"project_id": "owner", "tag_id": "self"}),
    ("/tasks", {"project_id": "owner", "status": "pending"}),
    ("/tasks", {"tag_id": "owner", "status": "pending"}),
]


def resolve(filters: Mapping[str, str], reader: Party, owner: Party) -> dict[str, str]:
    whose = {"owner": owner, "self": reader}
    return {
        name: whose[value].refs[name.removesuffix("_id")] if value in whose else value
        for name, value in filters.items()
    }


@pytest.mark.parametrize(("path", "filters"), ISOLATED_LISTS)
def test_lists_never_show_another_tenants_items(
    owner: Party, intruder: Party, path: str, filters: dict[str, str]
) -> None:
    me = intruder.client
    params = resolve(filters, intruder, owner)
    expected = [] if "owner" in filters.values() else intruder.lists[path]
    page = me.get(path, params)
    assert (ids(page["items"]), page["next_cursor"]) == (expected, None)
    assert ids(walk(me, path, params, 1)) == expected
    # The same filters with the owner's own ids do select the owner's items.
    theirs = ids(owner.client.get(path, resolve(filters, owner, owner))["items"])
    assert theirs
    assert set(theirs) <= owner.owns


@pytest.mark.parametrize("path", LISTS)
def test_another_tenants_cursor_never_shows_their_items(
    owner: Party, intruder: Party, path: str
) -> None:
    cursor = owner.client.get(path, {"limit": 1})["next_cursor"]
    assert isinstance(cursor, str)
    # Cursors carry no tenant, so the key simply applies to the reader's own items
    # (here all newer than the owner's); refusing it with a 400 would be fine too.
    answer = intruder.client.read(path, {"cursor": cursor})
    if answer.status_code != 400:
        assert ids(ok(answer)["items"]) == intruder.lists[path]


@pytest.mark.parametrize("route", ROUTES)
def test_a_read_without_a_valid_token_is_a_401_problem(
    stack: Stack, http: httpx.Client, owner: Party, route: str
) -> None:
    url = f"{stack.query_url}/api/v1{route.format(**owner.refs)}"
    tenant = uuid4()
    for headers in (
        {},
        {"X-Tenant-Token": "garbage"},
        {"Authorization": "Bearer x.y.z"},
        {"X-Tenant-Token": issue_token("another-secret-that-is-long-enough-too", tenant, 600)},
        {"X-Tenant-Token": issue_token(stack.secret, tenant, -60)},
    ):
        problem(http.get(url, headers=headers), 401)

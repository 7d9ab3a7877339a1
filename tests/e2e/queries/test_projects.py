"""The nested project view, and the kept copy of it that must follow every change."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from services.query.queries import PROJECT_DOCUMENT, TASK_JSON
from shared.database import DatabaseAddress
from tests.e2e.conftest import Stack
from tests.e2e.queries.reader import (
    Client,
    Item,
    as_read,
    ids,
    in_order,
    ok,
    problem,
    tag_ref,
)

pytestmark = pytest.mark.e2e


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

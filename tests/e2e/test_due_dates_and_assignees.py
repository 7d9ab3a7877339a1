"""A task's due date and assignee through the whole stack: the command API takes and
answers them, the query API shows them (the task, the list, the nested view) and filters
by them, and a rebuild gives the rows the live projection gave."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.queries.reader import Client, Item, as_read, ids, in_order, problem, walk
from tests.support import read_model, rebuilt_read_model

pytestmark = pytest.mark.e2e


def fields(task: Item) -> tuple[Any, Any]:
    return task["due_on"], task["assignee"]


def shown(me: Client, task: Item) -> tuple[Any, Any]:
    """The task's two fields as the query API shows them, alone and in its project."""
    alone = me.get(f"/tasks/{task['id']}")
    nested = me.get(f"/projects/{alone['project_id']}")["tasks"]
    (inside,) = [t for t in nested if t["id"] == task["id"]]
    assert inside == alone
    return fields(alone)


def test_both_fields_are_set_changed_and_cleared(stack: Stack) -> None:
    me = Client(stack)
    project = me.project()
    task = me.task(project["id"], "Ship", due_on="2026-03-14", assignee="  sam ")
    assert fields(task) == ("2026-03-14", "sam") == shown(me, task)
    bare = me.task(project["id"], "Someday")
    assert fields(bare) == (None, None) == shown(me, bare)

    def patch(body: dict[str, Any]) -> Item:
        answer = me.ok_command("PATCH", f"/tasks/{task['id']}", json=body)
        patched: Item = answer.json()
        assert fields(patched) == shown(me, task)
        return patched

    assert fields(patch({"title": "Ship it"})) == ("2026-03-14", "sam")
    changed = patch({"due_on": "2026-04-01", "assignee": "kim"})
    assert (fields(changed), changed["version"]) == (("2026-04-01", "kim"), task["version"] + 3)
    assert patch({"due_on": "2026-04-01", "assignee": "kim"})["version"] == changed["version"]
    assert fields(patch({"due_on": None})) == (None, "kim")
    assert fields(patch({"assignee": None})) == (None, None)
    assert fields(patch({"assignee": "sam", "due_on": "2027-01-31"})) == ("2027-01-31", "sam")


def test_the_list_filters_by_assignee_and_due_date(stack: Stack) -> None:
    me = Client(stack)
    project = me.project()
    specs = {
        "a": ("ana", "2026-03-01"),
        "b": ("ana", "2026-03-20"),
        "c": ("ana", None),
        "d": ("bo", "2026-03-01"),
        "e": (None, "2026-02-01"),
        "f": (None, None),
        "g": ("Ana", "2026-01-01"),
    }
    tasks = {
        name: as_read(me.task(project["id"], name, assignee=who, due_on=due))
        for name, (who, due) in specs.items()
    }
    for params, names in [
        ({"assignee": "ana"}, "abc"),
        ({"assignee": " ana "}, "abc"),
        ({"assignee": "nobody"}, ""),
        ({"due_before": "2026-03-20"}, "adeg"),
        ({"due_before": "2026-03-01"}, "eg"),
        ({"due_before": "2026-03-21"}, "abdeg"),
        ({"assignee": "ana", "due_before": "2026-03-20"}, "a"),
        ({"assignee": "ana", "due_before": "2026-03-20", "project_id": project["id"]}, "a"),
        ({"assignee": "bo", "status": "done"}, ""),
    ]:
        expected = in_order(tasks[name] for name in names)
        assert me.get("/tasks", params) == {"items": expected, "next_cursor": None}, params
        assert walk(me, "/tasks", params, 1) == expected, params

    me.ok_command("PATCH", f"/tasks/{tasks['c']['id']}", json={"due_on": "2026-01-15"})
    me.ok_command("PATCH", f"/tasks/{tasks['a']['id']}", json={"assignee": None})
    got = me.get("/tasks", {"assignee": "ana", "due_before": "2026-03-20"})
    assert ids(got["items"]) == [tasks["c"]["id"]]


def test_a_rebuild_gives_the_rows_the_live_projection_gave(stack: Stack) -> None:
    me = Client(stack)
    project = me.project()
    for n in range(4):
        task = me.task(project["id"], f"t{n}", due_on=f"2026-05-0{n + 1}", assignee=f"p{n % 2}")
        me.ok_command("PATCH", f"/tasks/{task['id']}", json={"due_on": None, "assignee": "kim"})
        me.task(project["id"], f"plain {n}")
    before = me.get(f"/projects/{project['id']}")
    projected = read_model(stack.database_url)
    assert {(row[6], row[7]) for row in projected["tasks"]} >= {(None, "kim"), (None, None)}
    assert rebuilt_read_model(stack.database_url) == projected
    assert me.get(f"/projects/{project['id']}") == before


@pytest.mark.parametrize(
    "body",
    [
        {"due_on": "2026-3-14"},
        {"due_on": "2026-02-30"},
        {"due_on": "2026-03-14T00:00:00Z"},
        {"due_on": 1773446400},
        {"assignee": ""},
        {"assignee": "  "},
        {"assignee": "x" * 256},
        {"assignee": "nul \u0000 inside"},
        {"assignee": 7},
    ],
)
def test_bad_due_dates_and_assignees_are_422_problems(stack: Stack, body: dict[str, Any]) -> None:
    me = Client(stack)
    project = me.project()
    task = me.task(project["id"])
    created = me.command("POST", f"/projects/{project['id']}/tasks", json={"title": "t", **body})
    patched = me.command("PATCH", f"/tasks/{task['id']}", json=body)
    for answer in (created, patched):
        assert problem(answer, 422)["errors"], answer.text
    assert me.get(f"/tasks/{task['id']}")["version"] == task["version"]


@pytest.mark.parametrize(
    "params",
    [
        {"due_before": "2026-3-14"},
        {"due_before": "1773446400"},
        {"due_before": "2026-03-14T00:00:00"},
        {"assignee": ""},
        {"assignee": "   "},
        {"assignee": "x" * 256},
        {"assignee": "a\u0000b"},
    ],
)
def test_bad_filter_values_are_422_problems(stack: Stack, params: dict[str, str]) -> None:
    problem(Client(stack).read("/tasks", params), 422)

"""The task list's filters (project, status, tag), alone and combined, paginated."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from uuid import uuid4

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.queries.reader import (
    Client,
    Item,
    as_read,
    ids,
    in_order,
    problem,
    walk,
)

pytestmark = pytest.mark.e2e


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

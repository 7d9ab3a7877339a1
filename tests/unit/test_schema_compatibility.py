"""The compatibility rule within a major (shared/schema_compatibility.py): a later minor
may add optional properties and change annotations, and nothing else. Each kind of
break is caught and named; the additive changes pass."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from shared.schema_compatibility import breaks

Schema = dict[str, Any]
EARLIER: Schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:taskstream:schema:TaskCreated:1",
    "title": "TaskCreated data",
    "type": "object",
    "properties": {
        "task_id": {"type": "string", "format": "uuid"},
        "title": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": {"type": ["string", "null"], "maxLength": 10000},
        "status": {"type": "string", "enum": ["pending", "in_progress", "done", "cancelled"]},
        "color": {"type": ["string", "null"], "pattern": "^#[0-9A-Fa-f]{6}$"},
        "checklist": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"text": {"type": "string"}, "done": {"type": "boolean"}},
                "required": ["text"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["task_id", "title", "description", "status"],
    "additionalProperties": False,
}


def changed(edit: Callable[[Schema], object]) -> Schema:
    later = copy.deepcopy(EARLIER)
    edit(later)
    return later


def props(schema: Schema) -> dict[str, Schema]:
    found: dict[str, Schema] = schema["properties"]
    return found


def rename_title(s: Schema) -> None:
    props(s)["name"] = props(s).pop("title")
    s["required"] = ["task_id", "name", "description", "status"]


BREAKS: dict[str, tuple[Callable[[Schema], object], str]] = {
    "a removed property": (lambda s: props(s).pop("color"), "color: removed"),
    "a renamed property": (rename_title, "title: removed"),
    "a narrowed type": (
        lambda s: props(s)["description"].update(type="string"),
        "description: type narrowed",
    ),
    "a widened type": (
        lambda s: props(s)["title"].update(type=["string", "null"]),
        "title: type widened",
    ),
    "a new enum restriction": (
        lambda s: props(s)["title"].update(enum=["a", "b"]),
        "title: new restriction enum",
    ),
    "an enum value taken away": (
        lambda s: props(s)["status"]["enum"].remove("cancelled"),
        "status: enum narrowed",
    ),
    "an enum value added": (
        lambda s: props(s)["status"]["enum"].append("blocked"),
        "status: enum widened",
    ),
    "a tighter maxLength": (
        lambda s: props(s)["title"].update(maxLength=100),
        "title: maxLength tightened",
    ),
    "a looser maxLength": (
        lambda s: props(s)["title"].update(maxLength=1000),
        "title: maxLength loosened",
    ),
    "a tighter minLength": (
        lambda s: props(s)["title"].update(minLength=3),
        "title: minLength tightened",
    ),
    "a new pattern": (
        lambda s: props(s)["title"].update(pattern="^[a-z]+$"),
        "title: new restriction pattern",
    ),
    "a changed pattern": (
        lambda s: props(s)["color"].update(pattern="^#[0-9a-f]{6}$"),
        "color: pattern changed",
    ),
    "a new format": (
        lambda s: props(s)["title"].update(format="email"),
        "title: new restriction format",
    ),
    "a restriction dropped": (
        lambda s: props(s)["title"].pop("maxLength"),
        "title: restriction maxLength removed",
    ),
    "a new required property": (
        lambda s: (
            props(s).update(due_on={"type": ["string", "null"], "format": "date"})
            or s["required"].append("due_on")
        ),
        "due_on: new required property",
    ),
    "an existing property made required": (
        lambda s: s["required"].append("color"),
        "color: new required property",
    ),
    "a required property made optional": (
        lambda s: s["required"].remove("status"),
        "status: no longer required",
    ),
    "unknown properties allowed": (
        lambda s: s.update(additionalProperties=True),
        "data: additionalProperties changed",
    ),
    "a nested property removed": (
        lambda s: props(s)["checklist"]["items"]["properties"].pop("done"),
        "checklist[].done: removed",
    ),
    "a nested type narrowed": (
        lambda s: props(s)["checklist"]["items"]["properties"]["text"].update(maxLength=10),
        "checklist[].text: new restriction maxLength",
    ),
    "another identity": (
        lambda s: s.update({"$id": "urn:taskstream:schema:TaskCreated:2"}),
        "data: $id changed",
    ),
}


@pytest.mark.parametrize("kind", list(BREAKS))
def test_each_kind_of_break_is_caught_and_named(kind: str) -> None:
    edit, reason = BREAKS[kind]
    found = breaks(EARLIER, changed(edit))
    assert any(reason in line for line in found), found


def add_optional(s: Schema) -> None:
    props(s)["assignee"] = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
    props(s)["checklist"]["items"]["properties"]["due_on"] = {"type": "string"}


PASSES: dict[str, Callable[[Schema], object]] = {
    "nothing": lambda s: None,
    "optional properties added": add_optional,
    "annotations changed": lambda s: (
        s.update(title="TaskCreated", description="A task.")
        or props(s)["title"].update(description="The task's title", examples=["Write"])
    ),
    "a property marked deprecated": lambda s: props(s)["color"].update(deprecated=True),
    "lists in another order": lambda s: (
        props(s)["description"].update(type=["null", "string"])
        or props(s)["status"]["enum"].reverse()
        or s["required"].reverse()
    ),
}


@pytest.mark.parametrize("kind", list(PASSES))
def test_additive_changes_pass(kind: str) -> None:
    assert breaks(EARLIER, changed(PASSES[kind])) == []


def test_every_break_is_listed_not_only_the_first() -> None:
    def two(s: Schema) -> None:
        props(s).pop("color")
        s["required"].append("checklist")

    assert len(breaks(EARLIER, changed(two))) == 2

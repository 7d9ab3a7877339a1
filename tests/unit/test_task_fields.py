"""A task's due date and assignee as the APIs take them: the command API's bodies (read
both ways a request reaches them: its plain routes validate the JSON text, FastAPI's own
handler the parsed JSON) and the query API's filters."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from pydantic import TypeAdapter, ValidationError

from services.command.recording.idempotency import keyed_request
from services.command.schemas import CreateTask, UpdateTask
from shared.task_fields import Assignee, CalendarDate

GOOD_DATES = {"2026-03-14": date(2026, 3, 14), "2024-02-29": date(2024, 2, 29)}
BAD_DATES: list[Any] = [
    "2026-3-14",
    "2026-02-30",
    "2026-03-14T00:00:00",
    "2026-03-14Z",
    "14.03.2026",
    "\uff12\uff10\uff12\uff16-03-14",  # full-width digits
    "",
    1773446400,
    0,
    True,
    ["2026-03-14"],
]
BAD_ASSIGNEES: list[Any] = ["", "   ", "\u3000", "x" * 256, "a\x00b", 7, ["sam"]]


def both_ways(model: Any, body: dict[str, Any]) -> Any:
    """The body validated as the plain routes and as FastAPI's handler do; both agree."""
    try:
        from_text = model.model_validate_json(json.dumps(body))
    except ValidationError:
        with pytest.raises(ValidationError):
            model.model_validate(body)
        raise
    assert model.model_validate(body) == from_text
    return from_text


@pytest.mark.parametrize("model", [CreateTask, UpdateTask])
def test_a_due_date_is_a_day_written_yyyy_mm_dd(model: Any) -> None:
    for text, day in GOOD_DATES.items():
        assert both_ways(model, {"title": "t", "due_on": text}).due_on == day
    for bad in BAD_DATES:
        with pytest.raises(ValidationError, match="due_on"):
            both_ways(model, {"title": "t", "due_on": bad})


@pytest.mark.parametrize("model", [CreateTask, UpdateTask])
def test_an_assignee_is_1_to_255_characters_that_are_not_all_blank(model: Any) -> None:
    assert both_ways(model, {"title": "t", "assignee": "  sam  "}).assignee == "sam"
    assert both_ways(model, {"title": "t", "assignee": "é" * 255}).assignee == "é" * 255
    for bad in BAD_ASSIGNEES:
        with pytest.raises(ValidationError, match="assignee"):
            both_ways(model, {"title": "t", "assignee": bad})


def test_a_patch_clears_with_null_and_leaves_out_what_it_does_not_give() -> None:
    cleared = both_ways(UpdateTask, {"due_on": None, "assignee": None})
    assert cleared.given("due_on") and cleared.given("assignee")
    assert (cleared.due_on, cleared.assignee) == (None, None)
    untouched = both_ways(UpdateTask, {"title": "t"})
    assert not untouched.given("due_on") and not untouched.given("assignee")


def test_the_filters_take_the_values_the_bodies_take() -> None:
    dates, assignees = TypeAdapter(CalendarDate), TypeAdapter(Assignee)
    for text, day in GOOD_DATES.items():
        assert dates.validate_python(text) == day
    for bad in BAD_DATES:
        with pytest.raises(ValidationError):
            dates.validate_python(bad)
    assert assignees.validate_python(" sam ") == "sam"
    for bad in BAD_ASSIGNEES:
        with pytest.raises(ValidationError):
            assignees.validate_python(bad)


def test_a_creation_without_them_is_keyed_as_before_they_existed() -> None:
    """An Idempotency-Key retried across the upgrade that added the two fields still
    finds the answer it repeats: the body it hashes is the one hashed before."""
    tenant = uuid4()
    body = both_ways(CreateTask, {"title": "t"})
    before: dict[str, Any] = {"title": "t", "description": None, "status": "pending", "tag_ids": []}
    key = keyed_request(tenant, "k", "POST", "/p", before)
    assert keyed_request(tenant, "k", "POST", "/p", body.keyed_form()) == key
    given = both_ways(CreateTask, {"title": "t", "due_on": "2026-03-14", "assignee": "sam"})
    assert given.keyed_form() == before | {"due_on": "2026-03-14", "assignee": "sam"}

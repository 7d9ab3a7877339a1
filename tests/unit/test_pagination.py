from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from services.query.pagination import decode_cursor, encode_cursor, list_scope
from shared.problems import Problem

TENANT = uuid4()
TASKS = list_scope("tasks", TENANT, project_id=None, status="done", tag_id=None)
KEY = (datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC), uuid4())


def test_cursor_round_trips() -> None:
    assert decode_cursor(encode_cursor(KEY, TASKS), TASKS) == KEY


@pytest.mark.parametrize(
    "cursor", ["%%%", "bm90aGluZw", encode_cursor((datetime(2026, 1, 1), uuid4()), TASKS)]
)
def test_foreign_cursors_are_400(cursor: str) -> None:
    with pytest.raises(Problem) as caught:
        decode_cursor(cursor, TASKS)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "scope",
    [
        list_scope("tasks", TENANT, project_id=None, status="pending", tag_id=None),
        list_scope("tasks", TENANT, project_id=None, status=None, tag_id=None),
        list_scope("tasks", uuid4(), project_id=None, status="done", tag_id=None),
        list_scope("tags", TENANT),
    ],
)
def test_a_cursor_is_refused_by_another_list(scope: str) -> None:
    with pytest.raises(Problem) as caught:
        decode_cursor(encode_cursor(KEY, TASKS), scope)
    assert caught.value.status == 400


def test_a_filter_left_out_differs_from_one_given_empty() -> None:
    given = list_scope("tasks", TENANT, project_id=UUID(int=0))
    assert given != list_scope("tasks", TENANT, project_id=None)

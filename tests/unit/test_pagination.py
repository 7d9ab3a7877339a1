from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.query.pagination import decode_cursor, encode_cursor
from shared.problems import Problem


def test_cursor_round_trips() -> None:
    key = (datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC), uuid4())
    assert decode_cursor(encode_cursor(key)) == key


@pytest.mark.parametrize(
    "cursor", ["%%%", "bm90aGluZw", encode_cursor((datetime(2026, 1, 1), uuid4()))]
)
def test_foreign_cursors_are_400(cursor: str) -> None:
    with pytest.raises(Problem) as caught:
        decode_cursor(cursor)
    assert caught.value.status == 400

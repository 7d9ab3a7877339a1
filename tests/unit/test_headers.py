"""Numeric headers are read by one strict rule: ASCII digits within a documented range.

Starlette decodes header bytes as latin-1, so a client can send characters that
`str.isdigit()` accepts and `int()` refuses (superscripts), or that `int()` and `\\d`
accept though no HTTP client means a number by them. Every parser of a numeric header
goes through `shared.headers.natural`; these cases reach each of them.
"""

from __future__ import annotations

import pytest

from services.command.preconditions import IfMatch, parse_if_match
from services.query.freshness.gate import parse_min_position
from shared.headers import MAX_POSITION, natural
from shared.problems import Problem

NOT_NUMBERS = [
    "",
    " ",
    "²",
    "1²",
    "¹²³",
    "\u0663",
    "-1",
    "+1",
    "1.5",
    "1_000",
    "1e3",
    "0x10",
    "\xa05",
    "5\x85",
    "5\n",
    "1 2",
    str(MAX_POSITION + 1),
    "9" * 40,
]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_anything_but_ascii_digits_in_range_is_not_a_number(text: str) -> None:
    assert natural(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("42", 42), (" 7\t", 7), ("007", 7), (str(MAX_POSITION), MAX_POSITION)],
)
def test_ascii_digits_are_read_up_to_the_largest_position(text: str, value: int) -> None:
    assert natural(text) == value


def test_a_smaller_maximum_is_honoured() -> None:
    assert natural("10", maximum=10) == 10
    assert natural("11", maximum=10) is None


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_a_bad_min_position_is_a_422_problem(text: str) -> None:
    with pytest.raises(Problem) as caught:
        parse_min_position(text)
    assert caught.value.status == 422


def test_the_largest_position_is_a_position() -> None:
    assert parse_min_position(str(MAX_POSITION)) == MAX_POSITION


@pytest.mark.parametrize(
    "value",
    ["3", "", " ", '"\u0663"', '"3" "4"', '"3', "W/3", '"3",x'],
)
def test_a_bad_if_match_is_a_400_problem_saying_what_to_send(value: str) -> None:
    with pytest.raises(Problem) as caught:
        parse_if_match(value)
    assert caught.value.status == 400
    assert '"<version>"' in caught.value.detail


@pytest.mark.parametrize(
    ("value", "versions"),
    [
        ('"3"', {3}),
        ('"3.5f2c"', {3}),
        ('"3-x"', {3}),
        ('"7", "2"', {2, 7}),
        (' "7" ,, W/"2"', {7}),
        ('W/"3"', set()),
        ('"²"', set()),
        ('"-1"', set()),
        ('""', set()),
        (f'"{MAX_POSITION + 1}"', set()),
        ('"abc", "4"', {4}),
        (f'"{MAX_POSITION}"', {MAX_POSITION}),
    ],
)
def test_an_if_match_admits_the_versions_of_its_strong_tags(value: str, versions: set[int]) -> None:
    assert parse_if_match(value) == IfMatch(frozenset(versions))


def test_an_if_match_of_a_star_admits_any_version() -> None:
    star = parse_if_match(" * ")
    assert star is not None and star.admits(1) and star.admits(MAX_POSITION)

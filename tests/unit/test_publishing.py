"""What an atomic batch's commit answer says, from the answers nats-server 2.14-2.15
gave in trials (services/command/publishing/answers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from nats.js.errors import APIError

from services.command.publishing.answers import PublishRefused, Refusal, interpret

AFTER, SIZE = 40, 3


def refusal(answer: dict[str, Any]) -> Refusal:
    with pytest.raises(PublishRefused) as refused:
        interpret(answer, AFTER, SIZE)
    return refused.value.refusal


def test_a_batch_stored_whole_in_place_answers_its_last_sequence() -> None:
    assert interpret({"stream": "S", "seq": 43, "batch": "b", "count": 3}, AFTER, SIZE) == 43


def test_a_batch_behind_a_moved_stream_is_refused_to_be_reconciled() -> None:
    answer = {"error": {"code": 400, "err_code": 10071, "description": "wrong last sequence: 41"}}
    assert refusal(answer) is Refusal.MOVED


def test_a_batch_holding_a_remembered_id_is_refused_as_a_duplicate() -> None:
    description = "atomic publish batch contains duplicate message id"
    answer = {"error": {"code": 400, "err_code": 10201, "description": description}}
    assert refusal(answer) is Refusal.DUPLICATE
    assert refusal({"stream": "S", "seq": 7, "duplicate": True, "batch": "b", "count": 1}) is (
        Refusal.DUPLICATE
    )


@pytest.mark.parametrize(
    "answer",
    [
        {"stream": "S", "seq": 44, "batch": "b", "count": 3},
        {"stream": "S", "seq": 43, "batch": "b", "count": 2},
        {"stream": "S", "seq": 43},
    ],
    ids=["elsewhere", "short", "not-a-batch-answer"],
)
def test_an_answer_that_does_not_add_up_is_not_taken_on_trust(answer: dict[str, Any]) -> None:
    assert refusal(answer) is Refusal.MOVED


def test_a_stream_that_refuses_batches_is_an_error_not_a_refusal() -> None:
    answer = {"error": {"code": 400, "err_code": 10174, "description": "batch publish not enabled"}}
    with pytest.raises(APIError, match="not enabled"):
        interpret(answer, AFTER, SIZE)

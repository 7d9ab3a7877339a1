"""What a JetStream atomic batch's commit answers, as the relay acts on it: stored whole
in place, or refused for a reason that reconciling with the stream resolves, or an
error that it cannot."""

from __future__ import annotations

from enum import Enum
from typing import Any

from nats.js.errors import APIError

WRONG_LAST_SEQUENCE = 10071
DUPLICATE_IN_BATCH = 10201


class Refusal(Enum):
    """Why a batch is not in the stream, and so what the relay does next."""

    MOVED = "the stream moved: it holds messages this relay has not accounted for"
    DUPLICATE = "JetStream remembers an id of the batch from its duplicate window"
    UNCONFIRMED = "no answer in time: the batch may or may not have landed"


class PublishRefused(Exception):
    """The batch is not (known to be) in the stream; the relay reconciles with it."""

    def __init__(self, refusal: Refusal, detail: str) -> None:
        super().__init__(f"{refusal.value}: {detail}")
        self.refusal = refusal


def interpret(answer: dict[str, Any], after: int, size: int) -> int:
    """The stream sequence of the batch's last message, from its commit's answer
    (JetStream's JSON); raises PublishRefused or the JetStream error it names."""
    error = answer.get("error")
    if isinstance(error, dict):
        code = error.get("err_code")
        if code == WRONG_LAST_SEQUENCE:
            raise PublishRefused(Refusal.MOVED, str(error.get("description")))
        if code == DUPLICATE_IN_BATCH:
            raise PublishRefused(Refusal.DUPLICATE, str(error.get("description")))
        APIError.from_error(error)  # raises the error's own subclass
    sequence, count = answer.get("seq"), answer.get("count")
    if answer.get("duplicate"):
        raise PublishRefused(Refusal.DUPLICATE, f"the batch's one event, at {sequence}")
    if count != size or sequence != after + size:
        raise PublishRefused(
            Refusal.MOVED,
            f"{count} stored up to sequence {sequence}, expected {size} up to {after + size}",
        )
    return after + size

"""Why a command may not be recorded as decided; handling.py decides again or answers."""

from __future__ import annotations

from services.command.domain.errors import Conflict


class Stale(Exception):
    """An aggregate the command relied on changed before it was recorded: decide again."""


class NameTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("a tag with that name (ignoring case) already exists for your tenant")


class KeyUsed(Exception):
    """Another request with the same Idempotency-Key was recorded first: replay its answer."""


class Rejected(Exception):
    """Some commands of a batch may not be recorded; by index in the batch."""

    def __init__(self, rejections: dict[int, Exception]) -> None:
        super().__init__(f"{len(rejections)} command(s) rejected")
        self.rejections = rejections

"""Named domain refusals; the HTTP layer maps each to a status in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A command the current state does not allow; the message tells the client why."""


class NotFound(DomainError):
    """The object does not exist for this tenant (or was deleted): indistinguishable on purpose."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"no {kind} with that id exists for your tenant")
        self.kind = kind


class Conflict(DomainError):
    """The command clashes with existing state (e.g. a taken name)."""


class VersionMismatch(DomainError):
    """The client's If-Match version is not the current one."""

    def __init__(self, expected: str, actual: int) -> None:
        super().__init__(
            f"the object is at version {actual}, and If-Match admits {expected}: "
            "read it again and retry with its new ETag"
        )
        self.expected = expected
        self.actual = actual


class Invalid(DomainError):
    """The command is well-formed but breaks a rule of the domain (answered 422)."""

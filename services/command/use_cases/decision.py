"""What a use case returns: the aggregate it changed and the change to record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar
from uuid import UUID

from services.command.domain.base import TenantAggregate
from services.command.domain.tag import Tag
from services.command.recording.changes import Change, NameClaim

A = TypeVar("A", bound=TenantAggregate)
UNSET: object = object()
"""A field the request did not give, as opposed to one it gave as null."""


@dataclass
class Decision(Generic[A]):
    aggregate: A
    change: Change
    tags: list[Tag] = field(default_factory=list)


def decided(
    aggregate: A,
    seen: dict[UUID, int],
    tags: list[Tag] | None = None,
    *,
    claims: tuple[NameClaim, ...] = (),
    releases: tuple[NameClaim, ...] = (),
) -> Decision[A]:
    """The aggregate's new events, expected to land on the versions `seen` (and a new
    aggregate on none)."""
    events = list(aggregate.collect_events())
    expected = dict(seen)
    if events and aggregate.id not in expected:
        expected[aggregate.id] = 0
    change = Change(events, expected, claims, releases)  # type: ignore[arg-type]
    return Decision(aggregate, change, tags or [])


def text(value: object) -> str | None:
    return value if isinstance(value, str) else None

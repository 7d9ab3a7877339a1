"""A command's decision waiting to be recorded: its events, and what it relied on."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.command.domain.base import TenantAggregate


@dataclass(frozen=True)
class NameClaim:
    tenant_id: UUID
    name_key: str
    tag_id: UUID


@dataclass(frozen=True)
class StoredAnswer:
    """The response to a POST with an Idempotency-Key, replayed for 24 h."""

    tenant_id: UUID
    key: str
    request_hash: str
    status: int
    body: bytes
    headers: dict[str, str]


@dataclass
class Change:
    """One command's effect. `expected` maps every aggregate it read or writes to the
    version it saw; the command is only recorded if all are still at those versions."""

    events: list[TenantAggregate.Event]
    expected: dict[UUID, int]
    claims: tuple[NameClaim, ...] = ()
    releases: tuple[NameClaim, ...] = ()
    answer: StoredAnswer | None = None

    @property
    def last_event(self) -> tuple[UUID, int]:
        event = self.events[-1]
        return event.originator_id, event.originator_version

    def checked_versions(self) -> list[UUID]:
        """The aggregates whose versions must be read before recording. Not those this
        change creates: the events table's key refuses a second version 1 by itself."""
        created = {e.originator_id for e in self.events if e.originator_version == 1}
        return [i for i, v in self.expected.items() if v != 0 or i not in created]

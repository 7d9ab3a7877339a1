"""The rule that makes a batch of commands safe to record, whatever stores it.

Commands are recorded in batches (group_commit.py), or one by one through the library's
own save (library_saves.py). Every check that spans aggregates or commands runs inside
the transaction that records the events, after the event store's table lock (which
every writer takes), so no other write can slip between check and insert:
- each aggregate read or written must still be at the version the command saw
  (per-aggregate optimistic concurrency, and guards such as "the project is alive");
- a claimed tag name must be free for the tenant (unique ignoring case);
- an Idempotency-Key must not have been used meanwhile.
Rejected commands leave the batch; the rest are recorded together. What the store holds
is read by statements.py (PostgreSQL) or in_memory.py (the library's POPO recorder).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from services.command.recording.changes import Change, NameClaim, StoredAnswer
from services.command.recording.refusals import KeyUsed, NameTaken, Rejected, Stale


@dataclass
class Found:
    """What the store holds that the batch relies on: aggregate versions, the tag id that
    holds each claimed (tenant, name key), and the (tenant, key) pairs already used."""

    versions: dict[UUID, int] = field(default_factory=dict)
    claimed: dict[tuple[UUID, str], UUID] = field(default_factory=dict)
    used: set[tuple[UUID, str]] = field(default_factory=set)


@dataclass
class Batch:
    changes: list[Change]
    rejections: dict[int, Exception] = field(default_factory=dict)

    def checked_ids(self) -> list[UUID]:
        return list({i for change in self.changes for i in change.checked_versions()})

    def claims(self) -> list[NameClaim]:
        return [c for change in self.changes for c in change.claims]

    def releases(self) -> list[NameClaim]:
        return [c for change in self.changes for c in change.releases]

    def answers(self) -> list[tuple[StoredAnswer, tuple[UUID, int]]]:
        """Each answer with the event whose position it replays."""
        return [(c.answer, c.last_event) for c in self.changes if c.answer is not None]

    def verify(self, found: Found) -> None:
        """Raises `Rejected` (before anything is written) if any command may not be
        recorded; each command is checked against the store as the ones before it in
        the batch leave it."""
        versions, claimed, used = dict(found.versions), dict(found.claimed), set(found.used)
        for index, change in enumerate(self.changes):
            error = _refusal(change, versions, claimed, used)
            if error is not None:
                self.rejections[index] = error
                continue
            for event in change.events:
                versions[event.originator_id] = event.originator_version
            for claim in change.releases:
                claimed.pop((claim.tenant_id, claim.name_key), None)
            for claim in change.claims:
                claimed[(claim.tenant_id, claim.name_key)] = claim.tag_id
            if change.answer is not None:
                used.add((change.answer.tenant_id, change.answer.key))
        if self.rejections:
            raise Rejected(self.rejections)


def _refusal(
    change: Change,
    versions: dict[UUID, int],
    claimed: dict[tuple[UUID, str], UUID],
    used: set[tuple[UUID, str]],
) -> Exception | None:
    if any(versions.get(i, 0) != v for i, v in change.expected.items()):
        return Stale()
    if change.answer is not None and (change.answer.tenant_id, change.answer.key) in used:
        return KeyUsed()
    for claim in change.claims:
        holder = claimed.get((claim.tenant_id, claim.name_key))
        if holder is not None and holder != claim.tag_id:
            return NameTaken()
    return None

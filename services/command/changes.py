"""A command's decision waiting to be recorded, and the checks that make it safe to record.

Commands are recorded in batches (see writer.py). Every check that spans aggregates
or commands runs inside the batch's transaction after the event store's table lock
(which every writer takes), so no other write can slip between check and insert:
- each aggregate read or written must still be at the version the command saw
  (per-aggregate optimistic concurrency, and guards such as "the project is alive");
- a claimed tag name must be free for the tenant (unique ignoring case);
- an Idempotency-Key must not have been used meanwhile.
Rejected commands leave the batch; the rest are recorded together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from psycopg import Cursor, sql
from psycopg.types.json import Jsonb

from services.command.domain.base import TenantAggregate
from services.command.domain.errors import Conflict
from shared.database import EVENTS_TABLE


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


_VERSIONS = sql.SQL(
    "SELECT originator_id, max(originator_version) FROM {} "
    "WHERE originator_id = ANY(%s) GROUP BY originator_id"
).format(sql.Identifier(EVENTS_TABLE))
_CLAIMED = (
    "SELECT n.tenant_id, n.name_key, n.tag_id FROM tag_names n"
    " JOIN unnest(%s::uuid[], %s::text[]) AS c(tenant_id, name_key)"
    " ON n.tenant_id = c.tenant_id AND n.name_key = c.name_key"
)
_KEYS_USED = (
    "SELECT k.tenant_id, k.key FROM idempotency_keys k"
    " JOIN unnest(%s::uuid[], %s::text[]) AS c(tenant_id, key)"
    " ON k.tenant_id = c.tenant_id AND k.key = c.key"
    " WHERE k.created_at > now() - interval '24 hours'"
)
_RELEASE = "DELETE FROM tag_names WHERE tenant_id = %s AND name_key = %s AND tag_id = %s"
_CLAIM = (
    "INSERT INTO tag_names (tenant_id, name_key, tag_id) VALUES (%s, %s, %s)"
    " ON CONFLICT (tenant_id, name_key) DO UPDATE SET tag_id = EXCLUDED.tag_id"
)
_ANSWER = sql.SQL(
    "INSERT INTO idempotency_keys"
    " (tenant_id, key, request_hash, status, body, headers, position)"
    " SELECT %s, %s, %s, %s, %s, %s, notification_id FROM {}"
    " WHERE originator_id = %s AND originator_version = %s"
    " ON CONFLICT (tenant_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash,"
    " status = EXCLUDED.status, body = EXCLUDED.body, headers = EXCLUDED.headers,"
    " position = EXCLUDED.position, created_at = now()"
).format(sql.Identifier(EVENTS_TABLE))


Statement = str | sql.Composed
Rows = list[tuple[Any, ...]]


@dataclass
class Batch:
    """The batch's checks and side writes as statements, so that the writer (async, on
    the event loop) and the library's recorder (sync, for tools and tests) run the
    same SQL."""

    changes: list[Change]
    rejections: dict[int, Exception] = field(default_factory=dict)

    def checks(self) -> dict[str, tuple[Statement, tuple[Any, ...]]]:
        """The queries `verify` needs answered, by name; none that would find nothing."""
        queries: dict[str, tuple[Statement, tuple[Any, ...]]] = {}
        ids = list({i for change in self.changes for i in change.checked_versions()})
        if ids:
            queries["versions"] = (_VERSIONS, (ids,))
        claims = [c for change in self.changes for c in change.claims]
        if claims:
            queries["claimed"] = (
                _CLAIMED,
                ([c.tenant_id for c in claims], [c.name_key for c in claims]),
            )
        answers = [c.answer for c in self.changes if c.answer is not None]
        if answers:
            queries["used"] = (
                _KEYS_USED,
                ([a.tenant_id for a in answers], [a.key for a in answers]),
            )
        return queries

    def verify(self, found: dict[str, Rows]) -> None:
        """Raises `Rejected` (before anything is written) if any command may not be
        recorded; `found` holds the rows of each of `checks()`."""
        versions = {r[0]: r[1] for r in found.get("versions", [])}
        claimed = {(r[0], r[1]): r[2] for r in found.get("claimed", [])}
        used = {(r[0], r[1]) for r in found.get("used", [])}
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

    def writes_before_events(self) -> list[tuple[Statement, Rows]]:
        """Tag names released, then claimed (executemany each)."""
        releases = [(c.tenant_id, c.name_key, c.tag_id) for ch in self.changes for c in ch.releases]
        claims = [(c.tenant_id, c.name_key, c.tag_id) for ch in self.changes for c in ch.claims]
        return [
            (statement, rows)
            for statement, rows in ((_RELEASE, releases), (_CLAIM, claims))
            if rows
        ]

    def writes_after_events(self) -> list[tuple[Statement, Rows]]:
        """Idempotency answers, which name their events' positions."""
        answers = [
            (a.tenant_id, a.key, a.request_hash, a.status, a.body, Jsonb(a.headers), *ch.last_event)
            for ch in self.changes
            if (a := ch.answer) is not None
        ]
        return [(_ANSWER, answers)] if answers else []

    def check_and_write_before(self, cur: Cursor[tuple[Any, ...]]) -> None:
        """The sync driver of `checks`, `verify` and `writes_before_events`."""
        self.verify({name: cur.execute(q, p).fetchall() for name, (q, p) in self.checks().items()})
        for statement, rows in self.writes_before_events():
            cur.executemany(statement, rows)

    def write_after(self, cur: Cursor[tuple[Any, ...]]) -> None:
        for statement, rows in self.writes_after_events():
            cur.executemany(statement, rows)


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

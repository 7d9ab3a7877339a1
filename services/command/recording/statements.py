"""A batch's checks and side writes as PostgreSQL statements, so that the group-commit
writer (async, on the event loop) and the library's recorder (sync, through `save()`)
run the same SQL in the transaction that records the events."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql
from psycopg.types.json import Jsonb

from services.command.recording.batch import Batch, Found
from shared.database import EVENTS_TABLE

Statement = str | sql.Composed
Rows = list[tuple[Any, ...]]

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


def checks(batch: Batch) -> dict[str, tuple[Statement, tuple[Any, ...]]]:
    """The queries `found` needs answered, by name; none that would find nothing."""
    queries: dict[str, tuple[Statement, tuple[Any, ...]]] = {}
    if ids := batch.checked_ids():
        queries["versions"] = (_VERSIONS, (ids,))
    if claims := batch.claims():
        queries["claimed"] = (
            _CLAIMED,
            ([c.tenant_id for c in claims], [c.name_key for c in claims]),
        )
    if answers := [a for a, _ in batch.answers()]:
        queries["used"] = (_KEYS_USED, ([a.tenant_id for a in answers], [a.key for a in answers]))
    return queries


def found(rows: dict[str, Rows]) -> Found:
    """The rows each of `checks()` returned, as the batch's rule reads them."""
    return Found(
        versions={r[0]: r[1] for r in rows.get("versions", [])},
        claimed={(r[0], r[1]): r[2] for r in rows.get("claimed", [])},
        used={(r[0], r[1]) for r in rows.get("used", [])},
    )


def writes_before_events(batch: Batch) -> list[tuple[Statement, Rows]]:
    """Tag names released, then claimed (executemany each)."""
    releases = [(c.tenant_id, c.name_key, c.tag_id) for c in batch.releases()]
    claims = [(c.tenant_id, c.name_key, c.tag_id) for c in batch.claims()]
    return [(s, rows) for s, rows in ((_RELEASE, releases), (_CLAIM, claims)) if rows]


def writes_after_events(batch: Batch) -> list[tuple[Statement, Rows]]:
    """Idempotency answers, which name their events' positions."""
    answers = [
        (a.tenant_id, a.key, a.request_hash, a.status, a.body, Jsonb(a.headers), *last)
        for a, last in batch.answers()
    ]
    return [(_ANSWER, answers)] if answers else []


def check_and_write_before(batch: Batch, cur: Cursor[tuple[Any, ...]]) -> None:
    """The sync driver of `checks`, the batch's rule and `writes_before_events`."""
    batch.verify(
        found({name: cur.execute(q, p).fetchall() for name, (q, p) in checks(batch).items()})
    )
    for statement, rows in writes_before_events(batch):
        cur.executemany(statement, rows)


def write_after(batch: Batch, cur: Cursor[tuple[Any, ...]]) -> None:
    for statement, rows in writes_after_events(batch):
        cur.executemany(statement, rows)

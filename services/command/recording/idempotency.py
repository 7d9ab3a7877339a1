"""Idempotency-Key on POST: the same key and body within 24 h get the first answer again.

The answer is stored in the transaction that records the command's events
(changes.StoredAnswer, written by statements.py), so there is no window in which a command
is recorded but its key is not, or the reverse.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import Connection

from services.command.recording.changes import StoredAnswer
from shared.problems import Problem

MAX_KEY_LENGTH = 255
RETENTION = "24 hours"
_LOOKUP = (
    "SELECT request_hash, status, body, headers, position FROM idempotency_keys"
    " WHERE tenant_id = %s AND key = %s AND created_at > now() - interval '24 hours'"
)
_PURGE = "DELETE FROM idempotency_keys WHERE created_at <= now() - interval '24 hours'"


@dataclass(frozen=True)
class KeyedRequest:
    tenant_id: UUID
    key: str
    request_hash: str

    def answer(self, status: int, body: bytes, headers: dict[str, str]) -> StoredAnswer:
        return StoredAnswer(self.tenant_id, self.key, self.request_hash, status, body, headers)


@dataclass(frozen=True)
class Replay:
    status: int
    body: bytes
    headers: dict[str, str]
    position: int


def keyed_request(tenant_id: UUID, key: str, method: str, path: str, body: Any) -> KeyedRequest:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise Problem(
            400,
            "Bad Request",
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
        )
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return KeyedRequest(tenant_id, key, hashlib.sha256(canonical.encode()).hexdigest())


def find_replay(conn: Connection[Any], request: KeyedRequest) -> Replay | None:
    row = conn.execute(_LOOKUP, (request.tenant_id, request.key)).fetchone()
    if row is None:
        return None
    request_hash, status, body, headers, position = _values(row)
    if request_hash != request.request_hash:
        raise Problem(
            422,
            "Unprocessable Content",
            "this Idempotency-Key was used within 24 h for a different request; "
            "use a new key for a new request",
        )
    return Replay(status, bytes(body), dict(headers), position)


def purge_expired(conn: Connection[Any]) -> int:
    return conn.execute(_PURGE).rowcount


def _values(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)

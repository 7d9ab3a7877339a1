"""Opaque keyset cursors: clients pass them back verbatim and never build them.

A cursor carries the last key of its page and a digest of the list it continues: the
route, the tenant and the filters. Passed with other filters, to another list or by
another tenant, it would silently continue a different list from a key that means
nothing there, so it is refused with a 400 that says to start again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime
from uuid import UUID

from shared.problems import Problem

Key = tuple[datetime, UUID]


def list_scope(name: str, tenant_id: UUID, **filters: object) -> str:
    """What a cursor is bound to; filters left out (None) and given ones both count."""
    named = "&".join(f"{k}={'' if v is None else v}" for k, v in sorted(filters.items()))
    digest = hashlib.blake2b(f"{name}|{tenant_id}|{named}".encode(), digest_size=6)
    return base64.urlsafe_b64encode(digest.digest()).decode()


def encode_cursor(key: Key, scope: str) -> str:
    raw = f"{key[0].isoformat()}|{key[1]}|{scope}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, scope: str) -> Key | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, key_id, bound = raw.split("|")
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("cursor time has no zone")
        key = moment, UUID(key_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise Problem(
            400, "Bad Request", "the cursor is not one this API issued; start again without it"
        ) from e
    if bound != scope:
        raise Problem(
            400,
            "Bad Request",
            "the cursor continues another list (another route, tenant or filters);"
            " pass the same filters as the page that gave it, or start again without it",
        )
    return key


def page_body(items: list[str], next_key: Key | None, scope: str) -> str:
    """The page as JSON text around item bodies PostgreSQL already built."""
    next_cursor = f'"{encode_cursor(next_key, scope)}"' if next_key else "null"
    return f'{{"items":[{",".join(items)}],"next_cursor":{next_cursor}}}'

"""Opaque keyset cursors: clients pass them back verbatim and never build them."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from uuid import UUID

from shared.problems import Problem


def encode_cursor(key: tuple[datetime, UUID]) -> str:
    raw = f"{key[0].isoformat()}|{key[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, _, key_id = raw.partition("|")
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("cursor time has no zone")
        return moment, UUID(key_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise Problem(
            400, "Bad Request", "the cursor is not one this API issued; start again without it"
        ) from e


def page_body(items: list[str], next_key: tuple[datetime, UUID] | None) -> str:
    """The page as JSON text around item bodies PostgreSQL already built."""
    next_cursor = f'"{encode_cursor(next_key)}"' if next_key else "null"
    return f'{{"items":[{",".join(items)}],"next_cursor":{next_cursor}}}'

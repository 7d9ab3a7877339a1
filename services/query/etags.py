"""The query API's validators: an ETag per answer, and If-None-Match read by RFC 9110's
weak comparison (a list matches when one entry does, `*` matches any)."""

from __future__ import annotations

import hashlib


def etag_of(body: bytes, digest: str | None = None) -> str:
    """From `digest` when the body's hash is kept with it, else over the body."""
    return f'"{digest or hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
    return "*" in candidates or etag in candidates

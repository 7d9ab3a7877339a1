"""The query API's validators, and If-None-Match read by RFC 9110's weak comparison (a
list matches when one entry does, `*` matches any).

One object's ETag is `"<version>.<digest of its body>"`. The body changes without the
object's version moving (a task shows its tags' names and colors, a tag its task
count, a project its tasks), so the digest keeps a 304 from ever being stale; the
version first makes it the command API's If-Match for the object, which compares
only that (services/command/preconditions.py). A list's ETag is the digest alone.
"""

from __future__ import annotations

import hashlib


def digest_of(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=12).hexdigest()


def etag_of(body: bytes, version: int | None = None, digest: str | None = None) -> str:
    """An object's ETag with its `version`, a list's without; from `digest` when the
    body's is kept with it."""
    digest = digest or digest_of(body)
    return f'"{digest}"' if version is None else f'"{version}.{digest}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
    return "*" in candidates or etag in candidates

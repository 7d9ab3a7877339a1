"""The one rule for numbers in headers: ASCII digits, within a documented range.

Header values reach us decoded as latin-1, so they may hold characters that Python's
own tests of "a digit" accept and no client means as one: `str.isdigit()` passes a
superscript `²` that `int()` then refuses (a 500), while `int()`, `str.strip()` and a
regex's `\\d` take Arabic-Indic digits, no-break spaces and the like. Every numeric
header (X-Min-Position, If-Match's version, Content-Length) is read here.
"""

from __future__ import annotations

import re

MAX_POSITION = 2**63 - 1
"""The largest event position or aggregate version: PostgreSQL's bigint."""

_NATURAL = re.compile(r"[ \t]*([0-9]{1,19})[ \t]*", re.ASCII)


def natural(text: str, maximum: int = MAX_POSITION) -> int | None:
    """The integer 0..`maximum` that `text` spells in ASCII digits (spaces or tabs around
    them allowed, as HTTP allows around a field value); None for anything else."""
    match = _NATURAL.fullmatch(text)
    if match is None:
        return None
    value = int(match.group(1))
    return value if value <= maximum else None

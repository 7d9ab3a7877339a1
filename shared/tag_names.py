"""When two tag names are the same name: one rule for both sides.

The command side refuses a name whose key another live tag of the tenant holds; the
read side's unique index is on this same key, computed here and stored with the row
(`tags.name_key`), so the database's collation has no say and every name the command
side accepts can be projected.
"""

from __future__ import annotations


def name_key(name: str) -> str:
    """Names equal ignoring case, by Unicode's full case folding (`Straße` = `STRASSE`)."""
    return name.casefold()

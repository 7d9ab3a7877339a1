"""Whether a later minor of an event's schema keeps the promise of its major: a subscriber
written against an earlier minor reads every message of the later one, and every message
published under the earlier one (history, replays) is valid under the later one.

So a later minor may only add optional properties (subscribers ignore properties they do
not know, docs/events.md) and change annotations (title, description, examples …).
Anything else that a property or the object itself says changes what some message may
hold, one way or the other: a property removed or renamed, a type or an enum narrowed
or widened, a bound, pattern or format added, moved or dropped, a property made required
or no longer required. `breaks` names each such change; tests/unit/test_published_schemas.py
runs it over every published major.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "$comment",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_RECURSED = frozenset({"properties", "required", "items"})
_UPPER = frozenset({"maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum"})
_LOWER = frozenset({"minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum"})
_HISTORY = "events published before may not meet it"


def breaks(earlier: Schema, later: Schema, at: str = "data") -> list[str]:
    """Every change from `earlier` to `later` that breaks a subscriber, each named by
    where it is (`data.title`, `data.items[].name`) and what it is; empty if none."""
    found: list[str] = []
    earlier_properties, later_properties = _properties(earlier), _properties(later)
    for name, schema in earlier_properties.items():
        if name not in later_properties:
            found.append(
                f"{at}.{name}: removed (events published before carry it, and subscribers "
                "may read it; a rename is a removal)"
            )
        else:
            found += breaks(schema, later_properties[name], f"{at}.{name}")
    was, now = set(earlier.get("required", ())), set(later.get("required", ()))
    found += [
        f"{at}.{name}: new required property (events published before lack it)"
        for name in sorted(now - was)
    ]
    found += [
        f"{at}.{name}: no longer required (subscribers may rely on it)"
        for name in sorted(was - now)
    ]
    if isinstance(earlier.get("items"), dict) and isinstance(later.get("items"), dict):
        found += breaks(earlier["items"], later["items"], f"{at}[]")
    else:
        found += _keyword(at, "items", earlier.get("items"), later.get("items"))
    for keyword in sorted((earlier.keys() | later.keys()) - ANNOTATIONS - _RECURSED):
        found += _keyword(at, keyword, earlier.get(keyword), later.get(keyword))
    return found


def _properties(schema: Schema) -> dict[str, Schema]:
    properties: dict[str, Schema] = schema.get("properties", {})
    return properties


def _keyword(at: str, keyword: str, was: Any, now: Any) -> list[str]:
    if keyword == "type" and was is not None and now is not None:
        return _members(at, keyword, _listed(was), _listed(now))
    if keyword == "enum" and was is not None and now is not None:
        return _members(at, keyword, list(was), list(now))
    if was == now:
        return []
    if was is None:
        return [f"{at}: new restriction {keyword} {now!r} ({_HISTORY})"]
    if now is None:
        return [f"{at}: restriction {keyword} removed (subscribers may get what it excluded)"]
    if keyword in _UPPER | _LOWER and all(isinstance(v, int | float) for v in (was, now)):
        if (now < was) == (keyword in _UPPER):
            return [f"{at}: {keyword} tightened from {was} to {now} ({_HISTORY})"]
        return [f"{at}: {keyword} loosened from {was} to {now} (subscribers may get more)"]
    return [f"{at}: {keyword} changed from {was!r} to {now!r}"]


def _members(at: str, keyword: str, was: list[Any], now: list[Any]) -> list[str]:
    """Types or enum values taken away (history may hold them) or added (subscribers do
    not expect them); order does not matter."""
    taken = [value for value in was if value not in now]
    added = [value for value in now if value not in was]
    found = []
    if taken:
        found.append(
            f"{at}: {keyword} narrowed from {was!r} to {now!r} (events published before "
            f"may hold {taken!r})"
        )
    if added:
        found.append(
            f"{at}: {keyword} widened from {was!r} to {now!r} (subscribers do not expect {added!r})"
        )
    return found


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]

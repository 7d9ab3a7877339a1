"""The JSON Schemas of the published events, every published major of each, shipped in the
package: what the query API serves, what the relay's `dataschema` names, what the tests
validate every published message against.

Layout, under shared/schemas/: `cloudevent.json` is the envelope; each version of an
event type's `data` schema is its own file, `events/<Type>/<major>.<minor>.json`, frozen
once published (tests/unit/test_published_schemas.py holds each to the digest recorded in
`events/published.sha256`, and every minor to the compatibility rule of
shared/schema_compatibility.py). A major's schema is its latest minor; a type is
published at its highest major. A subscriber names a major by its URN,
`urn:taskstream:schema:<Type>:<major>`, which is also the schema's `$id`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

ENVELOPE = "cloudevent"
URN_PREFIX = "urn:taskstream:schema:"
_VERSION = re.compile(r"([1-9][0-9]*)\.(0|[1-9][0-9]*)\.json")
_URN = re.compile(rf"{re.escape(URN_PREFIX)}([A-Za-z][A-Za-z0-9]*):([1-9][0-9]*)")


def dataschema(event_type: str, major: int | None = None) -> str:
    """The URN of `event_type`'s schema at `major`, by default the one it is published at."""
    majors_ = majors(event_type)
    if major is not None and major not in majors_:
        raise KeyError(f"{event_type} has no major {major}")
    return f"{URN_PREFIX}{event_type}:{majors_[-1] if major is None else major}"


def majors(event_type: str) -> tuple[int, ...]:
    """The published majors of `event_type`, ascending; KeyError for a type that has none."""
    published = _versions().get(event_type)
    if published is None:
        raise KeyError(
            f"no event type {event_type!r} has a published schema (its versions live in "
            f"shared/schemas/events/{event_type}/<major>.<minor>.json)"
        )
    return tuple(published)


def schema_bytes(event_type: str, major: int) -> bytes:
    """The schema of `event_type` at `major` (its latest minor) as the file holds it."""
    return _read(event_type, major, _minors(event_type, major)[-1])


def resolve(urn: str) -> dict[str, Any]:
    """The schema a CloudEvent's `dataschema` names; KeyError if none is published."""
    found = _URN.fullmatch(urn)
    if found is None:
        raise KeyError(f"{urn!r} is not a taskstream schema URN ({URN_PREFIX}<Type>:<major>)")
    return _parsed(found[1], int(found[2]))


def schema(name: str) -> dict[str, Any]:
    """`name` is an event type (the schema of its `data` at the major it is published at)
    or "cloudevent" (the envelope)."""
    if name == ENVELOPE:
        loaded: dict[str, Any] = json.loads(_root().joinpath(f"{ENVELOPE}.json").read_bytes())
        return loaded
    return _parsed(name, majors(name)[-1])


@cache
def _parsed(event_type: str, major: int) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(schema_bytes(event_type, major))
    return parsed


def _minors(event_type: str, major: int) -> tuple[int, ...]:
    minors = _versions().get(event_type, {}).get(major)
    if minors is None:
        raise KeyError(f"{event_type} has no major {major}")
    return minors


@cache
def _read(event_type: str, major: int, minor: int) -> bytes:
    return _root().joinpath("events", event_type, f"{major}.{minor}.json").read_bytes()


@cache
def _versions() -> dict[str, dict[int, tuple[int, ...]]]:
    """Every published version, by type and major, as the package's files name them."""
    found: dict[str, dict[int, list[int]]] = {}
    for directory in _root().joinpath("events").iterdir():
        if directory.is_dir():
            for major, minor in _versions_in(directory):
                found.setdefault(directory.name, {}).setdefault(major, []).append(minor)
    return {
        kind: {major: tuple(sorted(minors)) for major, minors in sorted(by_major.items())}
        for kind, by_major in found.items()
    }


def _versions_in(directory: Traversable) -> list[tuple[int, int]]:
    versions = []
    for file in directory.iterdir():
        if file.name.endswith(".json"):
            version = _VERSION.fullmatch(file.name)
            if version is None:
                raise ValueError(
                    f"shared/schemas/events/{directory.name}/{file.name}: a schema version "
                    "is named <major>.<minor>.json, e.g. 1.0.json"
                )
            versions.append((int(version[1]), int(version[2])))
    return versions


def _root() -> Traversable:
    return resources.files("shared").joinpath("schemas")

"""The published event schemas in the repository (shared/schemas/events/): one directory
per event type, one file per version `<major>.<minor>.json`, each frozen once published
(its digest is in published.sha256), every minor compatible with the earlier minors of
its major, and the latest minor of each major the one the package serves.

docs/events.md ("Versioning and compatibility") says how to add a version."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from shared import event_schemas
from shared.events.catalog import EVENT_AGGREGATES
from shared.schema_compatibility import breaks
from tests.support import check_against_schemas, schema_validator

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
EVENTS = SCHEMAS / "events"
MANIFEST = EVENTS / "published.sha256"
VERSION = re.compile(r"([1-9][0-9]*)\.(0|[1-9][0-9]*)\.json")
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def versions() -> dict[str, dict[int, list[int]]]:
    """Every version file, read from the repository (not through the module under test)."""
    found: dict[str, dict[int, list[int]]] = {}
    for path in sorted(EVENTS.glob("*/*")):
        match = VERSION.fullmatch(path.name)
        assert match, f"{path.relative_to(SCHEMAS)} is not named <major>.<minor>.json"
        major, minor = int(match[1]), int(match[2])
        found.setdefault(path.parent.name, {}).setdefault(major, []).append(minor)
    return {kind: {m: sorted(found[kind][m]) for m in sorted(found[kind])} for kind in found}


def load(kind: str, major: int, minor: int) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / kind / f"{major}.{minor}.json").read_text())
    return loaded


def every_version() -> list[tuple[str, int, int]]:
    return [
        (kind, major, minor)
        for kind, majors in versions().items()
        for major, minors in majors.items()
        for minor in minors
    ]


def test_every_event_type_of_the_catalog_has_a_schema_and_nothing_else_does() -> None:
    assert set(versions()) == set(EVENT_AGGREGATES)
    strays = sorted(
        p.name for p in SCHEMAS.iterdir() if p.name not in ("events", "cloudevent.json")
    )
    assert strays == [], (
        "an event's schema lives in shared/schemas/events/<Type>/<major>.<minor>.json"
        " (docs/events.md, Versioning and compatibility)"
    )


def test_every_schema_ships_in_the_package() -> None:
    """What `pip install .` copies: the package data globs of pyproject.toml."""
    pyproject = tomllib.loads((SCHEMAS.parents[1] / "pyproject.toml").read_text())
    package = SCHEMAS.parent
    shipped = {
        path
        for pattern in pyproject["tool"]["setuptools"]["package-data"]["shared"]
        for path in package.glob(pattern)
    }
    assert sorted(set(SCHEMAS.rglob("*.json")) - shipped) == []


def test_majors_count_from_1_and_minors_from_0_without_gaps() -> None:
    for kind, majors in versions().items():
        assert list(majors) == list(range(1, len(majors) + 1)), kind
        for major, minors in majors.items():
            assert minors == list(range(len(minors))), (kind, major)


@pytest.mark.parametrize(("kind", "major", "minor"), every_version())
def test_every_version_is_a_strict_draft_2020_12_schema_named_by_its_urn(
    kind: str, major: int, minor: int
) -> None:
    document = load(kind, major, minor)
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == DRAFT
    assert document["$id"] == f"urn:taskstream:schema:{kind}:{major}"
    assert document["title"] == f"{kind} data"
    assert document["type"] == "object"
    assert document["additionalProperties"] is False
    assert f"{EVENT_AGGREGATES[kind]}_id" in document["required"]


def published_digests() -> dict[str, str]:
    digests: dict[str, str] = {}
    for line in MANIFEST.read_text().splitlines():
        digest, _, name = line.partition("  ")
        assert re.fullmatch(r"[0-9a-f]{64}", digest) and name, f"not a sha256sum line: {line!r}"
        assert name not in digests, f"{name} is listed twice in {MANIFEST.name}"
        digests[name] = digest
    return digests


def test_a_published_version_never_changes() -> None:
    """Each version file's digest is recorded once, when it is added; a change to a
    published version (say, to make a breaking change look like the version it
    replaces) fails here, so the compatibility check below cannot be sidestepped."""
    recorded = published_digests()
    on_disk = {
        f"{kind}/{major}.{minor}.json": hashlib.sha256(
            (EVENTS / kind / f"{major}.{minor}.json").read_bytes()
        ).hexdigest()
        for kind, major, minor in every_version()
    }
    unrecorded = sorted(set(on_disk) - set(recorded))
    assert unrecorded == [], (
        f"not recorded as published: {unrecorded}; once it is final, record it with"
        f" `cd shared/schemas/events && sha256sum {' '.join(unrecorded)} >> {MANIFEST.name}`"
    )
    assert sorted(set(recorded) - set(on_disk)) == [], "a published version was removed"
    changed = sorted(name for name, digest in on_disk.items() if recorded[name] != digest)
    assert changed == [], (
        f"published versions changed: {changed}. A published version never changes: put"
        " the change in the next minor (additive) or the next major (docs/events.md)"
    )


@pytest.mark.parametrize(
    ("kind", "major"), [(kind, major) for kind, ms in versions().items() for major in ms]
)
def test_every_minor_is_compatible_with_every_earlier_minor_of_its_major(
    kind: str, major: int
) -> None:
    minors = versions()[kind][major]
    for n, later in enumerate(minors):
        for earlier in minors[:n]:
            found = breaks(load(kind, major, earlier), load(kind, major, later))
            assert found == [], (
                f"{kind} {major}.{later} breaks subscribers of {major}.{earlier}: {found}."
                f" A breaking change takes a new major ({kind}/{major + 1}.0.json)"
            )


def test_the_package_serves_the_latest_minor_of_every_major() -> None:
    for kind, majors in versions().items():
        assert event_schemas.majors(kind) == tuple(majors)
        for major, minors in majors.items():
            latest = EVENTS / kind / f"{major}.{minors[-1]}.json"
            assert event_schemas.schema_bytes(kind, major) == latest.read_bytes()
            assert event_schemas.resolve(f"urn:taskstream:schema:{kind}:{major}") == json.loads(
                latest.read_bytes()
            )
        assert event_schemas.dataschema(kind) == f"urn:taskstream:schema:{kind}:{max(majors)}"
        assert event_schemas.schema(kind) == event_schemas.resolve(event_schemas.dataschema(kind))


@pytest.mark.parametrize(
    "urn",
    [
        "urn:taskstream:schema:TaskCreated:9",
        "urn:taskstream:schema:TaskExploded:1",
        "urn:taskstream:schema:TaskCreated:one",
        "urn:taskstream:schema:TaskCreated",
        "urn:other:schema:TaskCreated:1",
    ],
)
def test_a_urn_that_names_no_published_schema_is_refused(urn: str) -> None:
    with pytest.raises(KeyError):
        event_schemas.resolve(urn)


def test_the_envelope_requires_a_dataschema_urn() -> None:
    envelope = event_schemas.schema(event_schemas.ENVELOPE)
    assert "dataschema" in envelope["required"]
    pattern = re.compile(envelope["properties"]["dataschema"]["pattern"])
    assert all(pattern.search(event_schemas.dataschema(kind)) for kind in EVENT_AGGREGATES)
    assert not pattern.search("https://taskstream.dev/schemas/TaskCreated.json")


def test_formats_are_checked_dates_included() -> None:
    validator = schema_validator(event_schemas.schema(event_schemas.ENVELOPE))
    kinds = {e.validator for e in validator.iter_errors({"time": "yesterday", "id": "x"})}
    assert "format" in kinds
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": "282274d7-cc18-5669-9a3d-93f3faaed165",
        "source": "taskstream",
        "type": "TaskTagged",
        "subject": "0b3e6d0c-5f2a-4e8b-9c41-7d2e5a9f1c03",
        "time": "2026-03-14T09:26:53.589793Z",
        "datacontenttype": "application/json",
        "dataschema": "urn:taskstream:schema:TaskTagged:1",
        "tenantid": "6f1c2a4e-3b9d-4c1a-8e5f-0a7b9c2d41e2",
        "position": 42,
        "aggregateid": "0b3e6d0c-5f2a-4e8b-9c41-7d2e5a9f1c03",
        "aggregateversion": 2,
        "data": {
            "task_id": "0b3e6d0c-5f2a-4e8b-9c41-7d2e5a9f1c03",
            "tag_id": "c7e2b9a4-1d6f-4a3e-b8c5-9f0e2d7a6b15",
        },
    }
    check_against_schemas(event)
    with pytest.raises(jsonschema.ValidationError, match="date-time"):
        check_against_schemas({**event, "time": "2026-03-14 at noon"})
    with pytest.raises(AssertionError, match="class_version"):
        check_against_schemas({**event, "data": {**event["data"], "class_version": 2}})

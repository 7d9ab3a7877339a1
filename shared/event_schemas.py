"""The JSON Schemas of the published events, shipped in the package for subscribers and tests."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from shared.events.catalog import EVENT_AGGREGATES

ENVELOPE = "cloudevent"


@cache
def schema(name: str) -> dict[str, Any]:
    """`name` is an event type (the schema of its `data`) or "cloudevent" (the envelope)."""
    if name != ENVELOPE and name not in EVENT_AGGREGATES:
        raise KeyError(f"no schema for {name!r}")
    text = resources.files("shared").joinpath("schemas", f"{name}.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded

"""The upcaster registry: steps in order, chained, and mirrored on the event classes that
the library's mapper upcasts by."""

from __future__ import annotations

from typing import Any

import pytest

from shared.stored_events.upcasting import Upcasters


class TaskRenamed:
    """Stands in for a domain event class (only its name and attributes matter here)."""


def test_steps_chain_from_the_stored_version_to_the_current_one() -> None:
    registry = Upcasters()
    registry.equip(TaskRenamed)
    assert registry.version("TaskRenamed") == 1
    assert TaskRenamed.class_version == 1  # type: ignore[attr-defined]

    @registry.register("TaskRenamed", 1, example={"name": "old"})
    def name_to_title(fields: dict[str, Any]) -> None:
        fields["title"] = fields.pop("name")

    @registry.register("TaskRenamed", 2, example={"title": "t"})
    def add_reason(fields: dict[str, Any]) -> None:
        fields["reason"] = None

    assert registry.version("TaskRenamed") == 3
    assert TaskRenamed.class_version == 3  # type: ignore[attr-defined]
    from_v1, from_v2 = {"name": "x"}, {"title": "y"}
    registry.upcast("TaskRenamed", 1, from_v1)
    registry.upcast("TaskRenamed", 2, from_v2)
    assert from_v1 == {"title": "x", "reason": None}
    assert from_v2 == {"title": "y", "reason": None}
    state = {"name": "z"}
    TaskRenamed.upcast_v1_v2(state)  # type: ignore[attr-defined]
    assert state == {"title": "z"}

    registry.unregister("TaskRenamed")
    registry.unregister("TaskRenamed")
    assert TaskRenamed.class_version == 1  # type: ignore[attr-defined]
    assert not hasattr(TaskRenamed, "upcast_v1_v2")
    assert registry.versions == {}


def test_a_step_out_of_order_is_refused() -> None:
    registry = Upcasters()
    with pytest.raises(ValueError, match="at version 1"):
        registry.register("TagRenamed", 2, example={})(lambda fields: None)

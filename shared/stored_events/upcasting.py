"""The one upcaster registry: how a stored event of an older shape reads as the current one.

Every path that reads stored events applies it: aggregate load (the library's mapper
calls the event classes' `upcast_vN_vN+1`, which the domain's event base takes from
here), and both decodings of decoding.py (the relay and republish, the projector and a
rebuild). An event class's `class_version` is the number of steps registered for its
type plus one; the library stores it in the state from version 2 on.

An upcaster takes one step, version N to N+1, changing the event's fields in place,
as the library's upcasters do. It sees the event's own fields only (no time, tenant,
actor or class_version) and must not depend on how a value is spelled: on aggregate
load ids are UUIDs and times datetimes, elsewhere both are strings. So it renames,
moves, drops or adds fields, with constants or the values it finds. The projector's
SQL decoding hands it only the fields `decoding.EVENT_COLUMNS` selects: an upcaster
that reads another field needs that field added there. Each upcaster brings an
example of the shape it upgrades, and tests/integration/test_stored_event_contract.py
decodes every example through each path and the library's mapper, and fails when they
disagree (a missing column among them).

The registered steps are at the end of this module, with the history of each shape in
docs/events.md ("Versioning and compatibility").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

Upcaster = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Step:
    """One registered upcaster, with an example of the fields it upgrades (as the
    library decodes them: ids as UUIDs)."""

    event_type: str
    from_version: int
    upcast: Upcaster
    example: dict[str, Any]


class Upcasters:
    """The steps by event type, and the event classes that take them from here."""

    def __init__(self) -> None:
        self._steps: dict[str, list[Step]] = {}
        self._classes: dict[str, list[type]] = {}
        # The current version of each type that has one above 1: what the decoders
        # look at per event, so that version-1 types cost a failed dict lookup.
        self.versions: dict[str, int] = {}

    def register(
        self, event_type: str, from_version: int, example: dict[str, Any]
    ) -> Callable[[Upcaster], Upcaster]:
        """Decorates the upcaster from `from_version` of `event_type`, which must be the
        type's current version: steps are registered in order, one at a time."""

        def register(upcast: Upcaster) -> Upcaster:
            steps = self._steps.setdefault(event_type, [])
            if from_version != len(steps) + 1:
                raise ValueError(
                    f"{event_type} is at version {len(steps) + 1}: its next upcaster"
                    f" starts there, not at {from_version}"
                )
            steps.append(Step(event_type, from_version, upcast, example))
            self._refresh(event_type)
            return upcast

        return register

    def unregister(self, event_type: str) -> None:
        """Takes back the type's latest step (a test's own upcaster, once it is done)."""
        self._steps[event_type].pop()
        self._refresh(event_type)

    def version(self, event_type: str) -> int:
        return self.versions.get(event_type, 1)

    def steps(self) -> list[Step]:
        return [step for steps in self._steps.values() for step in steps]

    def upcast(self, event_type: str, from_version: int, fields: dict[str, Any]) -> None:
        """Brings `fields` from `from_version` to the type's current version, in place."""
        for step in self._steps.get(event_type, [])[from_version - 1 :]:
            step.upcast(fields)

    def equip(self, cls: type) -> None:
        """Gives an event class its `class_version` and `upcast_vN_vN+1` methods, the
        names the library's mapper looks for, now and whenever a step is registered."""
        self._classes.setdefault(cls.__name__, []).append(cls)
        self._equip(cls)

    def _refresh(self, event_type: str) -> None:
        steps = self._steps.get(event_type, [])
        if steps:
            self.versions[event_type] = len(steps) + 1
        else:
            self.versions.pop(event_type, None)
        for cls in self._classes.get(event_type, []):
            self._equip(cls)

    def _equip(self, cls: type) -> None:
        steps = self._steps.get(cls.__name__, [])
        for name in [n for n in vars(cls) if n.startswith("upcast_v")]:
            delattr(cls, name)
        cls.class_version = len(steps) + 1  # type: ignore[attr-defined]
        for step in steps:
            name = f"upcast_v{step.from_version}_v{step.from_version + 1}"
            setattr(cls, name, staticmethod(step.upcast))


UPCASTERS = Upcasters()


@UPCASTERS.register(
    "TaskCreated",
    1,
    example={
        "project_id": UUID("5b0c9a4e-2f1d-4e3a-9c8b-7a6d5e4f3a21"),
        "title": "created before due dates",
        "description": None,
        "status": "pending",
    },
)
def task_created_without_due_date_or_assignee(fields: dict[str, Any]) -> None:
    """Version 2 added `due_on` and `assignee`: a task created before had neither."""
    fields["due_on"] = None
    fields["assignee"] = None

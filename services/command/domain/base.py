"""What every taskstream aggregate shares: a tenant, and an actor and time on each event.

Module and class names here are part of the stored event topics: moving or renaming
them breaks decoding of stored events (the library resolves each stored topic to its
class by name), so keep them stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

from shared.stored_events.upcasting import UPCASTERS


@dataclass(frozen=True)
class Context:
    """The caller and clock of one command: time and identity enter the domain as arguments."""

    tenant_id: UUID
    actor: str | None
    now: datetime


class TenantAggregate(Aggregate):
    """An aggregate owned by exactly one tenant, recorded on every one of its events.

    Attributes are assigned in each subclass's `__init__` (called by the library with
    the created event's fields), never declared on the class body: the library would
    turn class annotations into constructor arguments.
    """

    if TYPE_CHECKING:
        tenant_id: UUID
        deleted: bool

    class Event(Aggregate.Event):
        tenant_id: UUID
        actor: str | None

        def __init_subclass__(cls, **kwargs: Any) -> None:
            # The library's mapper upcasts by the class's `class_version` and
            # `upcast_vN_vN+1`: the one registry (shared/stored_events) provides them.
            super().__init_subclass__(**kwargs)
            UPCASTERS.equip(cls)

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _start(
        cls, event_class: type[Created], ctx: Context, aggregate_id: UUID, **fields: Any
    ) -> Self:
        return cls._create(
            event_class,
            id=aggregate_id,
            tenant_id=ctx.tenant_id,
            actor=ctx.actor,
            timestamp=ctx.now,
            **fields,
        )

    def _record(self, event_class: type[Event], ctx: Context, **fields: Any) -> None:
        self.trigger_event(
            event_class, tenant_id=self.tenant_id, actor=ctx.actor, timestamp=ctx.now, **fields
        )

    def belongs_to(self, tenant_id: UUID) -> bool:
        return self.tenant_id == tenant_id and not self.deleted

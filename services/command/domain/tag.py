"""The tag aggregate: a reusable label, unique per tenant by name ignoring case.

Uniqueness spans aggregates, so the aggregate only names its claim (`name_key`, the rule
the read side's unique index uses too); the event store's writer enforces it under the
same lock that orders every write.
"""

from __future__ import annotations

from uuid import UUID

from services.command.domain.base import Context, TenantAggregate
from shared.tag_names import name_key

__all__ = ["Tag", "name_key"]


class Tag(TenantAggregate):
    def __init__(self, tenant_id: UUID, name: str, color: str | None) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.color = color
        self.deleted = False

    class TagCreated(TenantAggregate.Created):
        name: str
        color: str | None

    class TagRenamed(TenantAggregate.Event):
        name: str
        previous_name: str

        def apply(self, tag: Tag) -> None:
            tag.name = self.name

    class TagRecolored(TenantAggregate.Event):
        color: str | None

        def apply(self, tag: Tag) -> None:
            tag.color = self.color

    class TagDeleted(TenantAggregate.Event):
        def apply(self, tag: Tag) -> None:
            tag.deleted = True

    @classmethod
    def create(cls, ctx: Context, tag_id: UUID, name: str, color: str | None) -> Tag:
        return cls._start(cls.TagCreated, ctx, tag_id, name=name, color=color)

    def rename(self, ctx: Context, name: str) -> None:
        if name != self.name:
            self._record(self.TagRenamed, ctx, name=name, previous_name=self.name)

    def recolor(self, ctx: Context, color: str | None) -> None:
        if color != self.color:
            self._record(self.TagRecolored, ctx, color=color)

    def delete(self, ctx: Context) -> None:
        if not self.deleted:
            self._record(self.TagDeleted, ctx)

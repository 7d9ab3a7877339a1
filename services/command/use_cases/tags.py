"""Tag use cases: create, rename or recolor, delete. A tag's name is claimed per tenant
(ignoring case) in the transaction that records the tag's events."""

from __future__ import annotations

from uuid import UUID

from services.command.domain.base import Context
from services.command.domain.tag import Tag, name_key
from services.command.preconditions import IfMatch
from services.command.recording.changes import NameClaim
from services.command.use_cases.decision import UNSET, Decision, decided, text
from services.command.use_cases.loading import Loading


class TagUseCases(Loading):
    def create_tag(self, ctx: Context, tag_id: UUID, name: str, color: str | None) -> Decision[Tag]:
        tag = Tag.create(ctx, tag_id, name, color)
        claim = NameClaim(ctx.tenant_id, name_key(name), tag_id)
        return decided(tag, {}, claims=(claim,))

    def update_tag(
        self,
        ctx: Context,
        tag_id: UUID,
        if_match: IfMatch | None,
        name: str | None,
        color: str | object | None,
    ) -> Decision[Tag]:
        tag = self._load(Tag, ctx, tag_id, if_match)
        seen = {tag.id: tag.version}
        old_key = name_key(tag.name)
        if name is not None:
            tag.rename(ctx, name)
        if color is not UNSET:
            tag.recolor(ctx, text(color))
        if name_key(tag.name) == old_key:
            return decided(tag, seen)
        return decided(
            tag,
            seen,
            claims=(NameClaim(ctx.tenant_id, name_key(tag.name), tag.id),),
            releases=(NameClaim(ctx.tenant_id, old_key, tag.id),),
        )

    def delete_tag(self, ctx: Context, tag_id: UUID, if_match: IfMatch | None) -> Decision[Tag]:
        """It leaves every task with it: subscribers learn it from TagDeleted (docs/events.md)."""
        tag = self._load(Tag, ctx, tag_id, if_match)
        seen = {tag.id: tag.version}
        tag.delete(ctx)
        return decided(tag, seen, releases=(NameClaim(ctx.tenant_id, name_key(tag.name), tag.id),))

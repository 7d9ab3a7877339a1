"""Given events, when a command, then events: the tag aggregate's rules."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from services.command.domain.base import Context
from services.command.domain.tag import Tag, name_key

TENANT = uuid4()
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CTX = Context(TENANT, "alice", T0)


def new_tag() -> Tag:
    tag = Tag.create(CTX, uuid4(), "Bug", "#ff0000")
    tag.collect_events()
    return tag


def test_names_are_compared_ignoring_case() -> None:
    assert name_key("Bug") == name_key("BUG") == name_key("bug")
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("Bug") != name_key("Bugs")


def test_renaming_records_the_previous_name() -> None:
    tag = new_tag()
    tag.rename(CTX, "Defect")
    [renamed] = tag.collect_events()
    assert isinstance(renamed, Tag.TagRenamed)
    assert (renamed.name, renamed.previous_name, tag.name) == ("Defect", "Bug", "Defect")


def test_recoloring_to_none_clears_the_color() -> None:
    tag = new_tag()
    tag.recolor(CTX, None)
    tag.recolor(CTX, None)
    assert [type(e).__name__ for e in tag.collect_events()] == ["TagRecolored"]
    assert tag.color is None


def test_a_deleted_tag_belongs_to_no_one() -> None:
    tag = new_tag()
    tag.delete(CTX)
    tag.delete(CTX)
    assert [type(e).__name__ for e in tag.collect_events()] == ["TagDeleted"]
    assert not tag.belongs_to(TENANT)

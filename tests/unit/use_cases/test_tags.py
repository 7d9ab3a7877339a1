"""Tag use cases: a name is unique per tenant ignoring case, claimed and released in the
transaction that records the tag's events."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.command.application import TaskstreamApplication
from services.command.domain.errors import NotFound, VersionMismatch
from services.command.domain.tag import Tag
from services.command.preconditions import at
from services.command.recording.refusals import NameTaken
from services.command.use_cases.decision import UNSET
from tests.unit.use_cases.given import ctx, recorded, tag

TENANT = uuid4()


def test_creating_records_the_tag(app: TaskstreamApplication) -> None:
    tag_id = uuid4()
    app.record(app.create_tag(ctx(TENANT), tag_id, "Urgent", "#ff0000"))
    loaded: Tag = app.repository.get(tag_id)
    assert (loaded.name, loaded.color, loaded.tenant_id) == ("Urgent", "#ff0000", TENANT)


def test_a_name_taken_ignoring_case_is_refused_and_nothing_recorded(
    app: TaskstreamApplication,
) -> None:
    tag(app, TENANT, "Urgent")
    before = app.current_position()
    with pytest.raises(NameTaken):
        app.record(app.create_tag(ctx(TENANT), uuid4(), "URGENT", None))
    assert app.current_position() == before


def test_another_tenant_may_use_the_same_name(app: TaskstreamApplication) -> None:
    tag(app, TENANT, "Urgent")
    tag(app, uuid4(), "Urgent")


def test_renaming_frees_the_old_name_and_claims_the_new(app: TaskstreamApplication) -> None:
    first, second = tag(app, TENANT, "a"), tag(app, TENANT, "b")
    with pytest.raises(NameTaken):
        app.record(app.update_tag(ctx(TENANT), second, None, "A", UNSET))
    app.record(app.update_tag(ctx(TENANT), first, None, "c", UNSET))
    app.record(app.update_tag(ctx(TENANT), second, None, "A", UNSET))
    [*_, renamed] = app.events.get(second)
    assert isinstance(renamed, Tag.TagRenamed) and renamed.previous_name == "b"


def test_a_tag_may_change_the_case_of_its_own_name(app: TaskstreamApplication) -> None:
    tag_id = tag(app, TENANT, "urgent")
    app.record(app.update_tag(ctx(TENANT), tag_id, None, "Urgent", UNSET))
    assert recorded(app, tag_id) == ["TagCreated", "TagRenamed"]


def test_recoloring_records_only_a_change(app: TaskstreamApplication) -> None:
    tag_id = tag(app, TENANT)
    app.record(app.update_tag(ctx(TENANT), tag_id, None, None, "#00ff00"))
    assert app.update_tag(ctx(TENANT), tag_id, None, "t", "#00ff00").change.events == []
    app.record(app.update_tag(ctx(TENANT), tag_id, None, None, None))
    assert recorded(app, tag_id) == ["TagCreated", "TagRecolored", "TagRecolored"]


def test_deleting_frees_the_name_and_the_tag_is_not_found(app: TaskstreamApplication) -> None:
    tag_id = tag(app, TENANT, "gone")
    app.record(app.delete_tag(ctx(TENANT), tag_id, None))
    tag(app, TENANT, "Gone")
    with pytest.raises(NotFound):
        app.update_tag(ctx(TENANT), tag_id, None, "x", UNSET)
    with pytest.raises(NotFound):
        app.delete_tag(ctx(TENANT), tag_id, None)


def test_if_match_must_name_the_tag_s_current_version(app: TaskstreamApplication) -> None:
    tag_id = tag(app, TENANT)
    with pytest.raises(VersionMismatch):
        app.update_tag(ctx(TENANT), tag_id, at(2), "x", UNSET)
    with pytest.raises(VersionMismatch):
        app.delete_tag(ctx(TENANT), tag_id, at(2))
    app.record(app.delete_tag(ctx(TENANT), tag_id, at(1)))

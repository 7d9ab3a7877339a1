"""The projector's notice to the query services: what it names survives the trip,
and a notice too long for NOTIFY widens instead of losing anything."""

from __future__ import annotations

from uuid import uuid4

import pytest

from shared.projection_notice import ProjectionNotice

TENANT, OTHER = str(uuid4()), str(uuid4())
PROJECT = str(uuid4())


def test_a_notice_reads_back_as_sent() -> None:
    notice = ProjectionNotice.of(42, [TENANT, OTHER], [PROJECT])
    assert ProjectionNotice.parse(notice.payload()) == notice


def test_a_position_alone_means_everything_may_have_changed() -> None:
    notice = ProjectionNotice.parse("42")
    assert (notice.position, notice.tenants, notice.projects) == (42, None, None)
    assert notice.touches(TENANT, PROJECT)
    assert ProjectionNotice(42).payload() == "42"


def test_a_notice_touches_its_tenants_reads_and_its_projects_views() -> None:
    notice = ProjectionNotice.of(7, [TENANT], [PROJECT])
    assert notice.touches(TENANT, None)
    assert notice.touches(TENANT, PROJECT)
    assert not notice.touches(TENANT, str(uuid4()))
    assert not notice.touches(OTHER, None)
    assert not notice.touches(OTHER, PROJECT)


def test_a_notice_without_projects_touches_every_view_of_its_tenants() -> None:
    notice = ProjectionNotice.parse(f"7 t:{TENANT}")
    assert notice.touches(TENANT, str(uuid4()))
    assert not notice.touches(OTHER, None)


def test_a_batch_that_changed_nothing_readable_touches_nothing() -> None:
    notice = ProjectionNotice.parse(ProjectionNotice.of(9, [], []).payload())
    assert (notice.tenants, notice.projects) == (frozenset(), frozenset())
    assert not notice.touches(TENANT, None)


def test_too_many_projects_widen_to_their_tenants_then_to_everything() -> None:
    many_projects = [str(uuid4()) for _ in range(400)]
    wide = ProjectionNotice.parse(ProjectionNotice.of(5, [TENANT], many_projects).payload())
    assert (wide.tenants, wide.projects) == (frozenset({TENANT}), None)
    many_tenants = [str(uuid4()) for _ in range(400)]
    widest = ProjectionNotice.of(5, many_tenants, []).payload()
    assert widest == "5"
    assert len(ProjectionNotice.of(5, [TENANT], many_projects).payload()) < 8000


@pytest.mark.parametrize("payload", ["", "x", "5 q:abc", f"5 p:{PROJECT}", "5 t"])
def test_anything_else_is_refused(payload: str) -> None:
    with pytest.raises(ValueError):
        ProjectionNotice.parse(payload)

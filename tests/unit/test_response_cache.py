"""The query service's answer cache: what a notice drops, what it never keeps."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.query.freshness.answers import Answer, Key, ResponseCache
from shared.projection_notice import ProjectionNotice

TENANT, OTHER = str(uuid4()), str(uuid4())
P, Q = str(uuid4()), str(uuid4())


def answer(tenant: str = TENANT, project: str | None = None, size: int = 100) -> Answer:
    return Answer([(b"etag", b'"e"')], b"x" * size, '"e"', tenant, project)


def live_cache(max_bytes: int = 1 << 20) -> ResponseCache:
    cache = ResponseCache(max_bytes)
    cache.listening(True)
    return cache


def key(tenant: str, path: str) -> Key:
    return (tenant, path, b"")


def test_a_kept_answer_is_served_until_a_notice_touches_it() -> None:
    cache = live_cache()
    view, tenant_list, other_list = key(TENANT, "/p"), key(TENANT, "/list"), key(OTHER, "/list")
    cache.keep(view, answer(project=P), cache.generation)
    cache.keep(tenant_list, answer(), cache.generation)
    cache.keep(other_list, answer(OTHER), cache.generation)
    cache.apply(ProjectionNotice.of(1, [TENANT], [Q]))
    assert cache.get(view) is not None, "another project's change leaves this view"
    assert cache.get(tenant_list) is None, "any change of the tenant drops its lists"
    assert cache.get(other_list) is not None, "another tenant's change drops nothing"
    cache.apply(ProjectionNotice.of(2, [TENANT], [P]))
    assert cache.get(view) is None
    cache.apply(ProjectionNotice(3))
    assert len(cache) == cache.bytes == 0


def test_a_notice_naming_no_projects_drops_every_view_of_its_tenants() -> None:
    cache = live_cache()
    views = [key(TENANT, f"/{n}") for n in range(3)]
    for n, view in enumerate(views):
        cache.keep(view, answer(project=str(n)), cache.generation)
    cache.keep(key(OTHER, "/0"), answer(OTHER, project="0"), cache.generation)
    cache.apply(ProjectionNotice(1, frozenset([TENANT])))
    assert all(cache.get(view) is None for view in views)
    assert cache.get(key(OTHER, "/0")) is not None
    assert (len(cache), cache.bytes) == (1, answer().size)


@pytest.mark.parametrize(
    "notice",
    [
        ProjectionNotice(1),
        ProjectionNotice.of(1, [TENANT], []),
        ProjectionNotice.of(1, [TENANT], [P]),
        ProjectionNotice.of(1, [TENANT, OTHER], [Q]),
        ProjectionNotice(1, frozenset([OTHER])),
    ],
)
def test_a_notice_drops_exactly_what_it_touches(notice: ProjectionNotice) -> None:
    """The cache finds what to drop through its own index; ProjectionNotice.touches is
    the rule it must agree with."""
    cache = live_cache()
    kept = {
        key(tenant, f"/{project}"): (tenant, project)
        for tenant in (TENANT, OTHER)
        for project in (None, P, Q)
    }
    for k, (tenant, project) in kept.items():
        cache.keep(k, answer(tenant, project), cache.generation)
    cache.apply(notice)
    dropped = {k for k in kept if cache.get(k) is None}
    assert dropped == {k for k, (t, p) in kept.items() if notice.touches(t, p)}


def test_an_answer_computed_while_a_notice_arrived_is_not_kept() -> None:
    cache = live_cache()
    started = cache.generation
    cache.apply(ProjectionNotice.of(1, [OTHER], []))
    assert not cache.keep(key(TENANT, "/p"), answer(), started)
    assert cache.get(key(TENANT, "/p")) is None
    assert cache.keep(key(TENANT, "/p"), answer(), cache.generation)


def test_nothing_is_kept_or_served_while_notices_could_be_missed() -> None:
    cache = ResponseCache(1 << 20)
    assert not cache.keep(key(TENANT, "/p"), answer(), cache.generation), "not listening yet"
    cache.listening(True)
    cache.keep(key(TENANT, "/p"), answer(), cache.generation)
    cache.listening(False)
    assert not cache.live
    assert cache.get(key(TENANT, "/p")) is None
    cache.listening(True)
    assert len(cache) == 0, "a reconnected watcher starts from an empty cache"


def test_the_least_recently_read_answers_go_first_when_full() -> None:
    cache = live_cache(max_bytes=10 * answer().size)
    keys = [key(TENANT, f"/{n}") for n in range(10)]
    for k in keys:
        assert cache.keep(k, answer(), cache.generation)
    assert cache.get(keys[0]) is not None
    cache.keep(key(TENANT, "/new"), answer(), cache.generation)
    assert cache.get(keys[1]) is None, "the oldest unread answer made room"
    assert cache.get(keys[0]) is not None, "a recently read answer stays"
    assert cache.bytes <= cache.max_bytes


def test_an_answer_larger_than_an_eighth_of_the_cache_is_not_kept() -> None:
    cache = live_cache(max_bytes=8_000)
    assert not cache.keep(key(TENANT, "/big"), answer(size=2_000), cache.generation)
    assert cache.keep(key(TENANT, "/small"), answer(size=500), cache.generation)


def test_keeping_a_key_again_replaces_its_answer() -> None:
    cache = live_cache()
    cache.keep(key(TENANT, "/p"), answer(size=100), cache.generation)
    cache.keep(key(TENANT, "/p"), answer(size=300), cache.generation)
    assert (len(cache), cache.bytes) == (1, answer(size=300).size)
    cache.apply(ProjectionNotice.of(1, [TENANT], []))
    assert (len(cache), cache.bytes) == (0, 0)

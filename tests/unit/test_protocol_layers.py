"""The pure parts of the protocol layers: CORS origins as configured, the cache headers
merged with what an answer carries, HEAD as GET, and a kept answer's gzipped bytes."""

from __future__ import annotations

import gzip
import re
from typing import Any

import pytest

from services.query.freshness.answers import Answer, ResponseCache
from shared.cache_headers import READS, WRITES, CacheHeaders
from shared.cors import Origins
from shared.head_requests import HeadAsGet
from shared.settings import ConfigurationError


def test_no_origins_turn_cors_off_and_a_lone_star_allows_any() -> None:
    assert Origins.parse("") is None
    assert Origins.parse(" , ") is None
    assert Origins.parse("*") == Origins(("*",), None)


def test_a_star_port_matches_any_port_of_that_host_only() -> None:
    origins = Origins.parse("http://localhost:*, http://127.0.0.1:*,https://app.example.com/")
    assert origins is not None
    assert origins.exact == ("https://app.example.com",)
    assert origins.pattern is not None
    pattern = re.compile(origins.pattern)
    for allowed in ("http://localhost:5173", "http://localhost", "http://127.0.0.1:8080"):
        assert pattern.fullmatch(allowed), allowed
    for refused in (
        "https://localhost:5173",
        "http://localhost.evil.example:80",
        "http://127.0.0.10:80",
        "http://evil.example?http://localhost:1",
    ):
        assert not pattern.fullmatch(refused), refused


@pytest.mark.parametrize("bad", ["localhost:3000", "http://*.example.com", "http://a.b/path"])
def test_something_that_is_not_an_origin_is_refused_with_how_to_write_one(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="scheme://host"):
        Origins.parse(bad)


async def through(layer: Any, headers: list[tuple[bytes, bytes]], method: str = "GET") -> Any:
    sent: list[dict[str, Any]] = []
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": b"body"})

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    await layer(app)({"type": "http", "method": method, "headers": []}, receive, send)
    return seen, sent


async def test_reads_say_private_no_cache_and_vary_ahead_of_what_the_answer_varies_on() -> None:
    cache_control, vary = READS
    layer = lambda app: CacheHeaders(app, cache_control=cache_control, vary=vary)  # noqa: E731
    _, sent = await through(layer, [(b"vary", b"Accept-Encoding"), (b"etag", b'"1"')])
    headers = sent[0]["headers"]
    assert (b"cache-control", b"private, no-cache") in headers
    assert [v for n, v in headers if n == b"vary"] == [
        b"X-Tenant-Token, Authorization, Accept-Encoding"
    ]
    _, sent = await through(layer, [(b"cache-control", b"max-age=5")])
    assert sent[0]["headers"] == [(b"cache-control", b"max-age=5")]


async def test_writes_are_no_store_without_a_vary() -> None:
    cache_control, vary = WRITES
    layer = lambda app: CacheHeaders(app, cache_control=cache_control, vary=vary)  # noqa: E731
    _, sent = await through(layer, [])
    assert sent[0]["headers"] == [(b"cache-control", b"no-store")]


async def test_head_goes_on_as_get_and_its_body_is_dropped() -> None:
    seen, sent = await through(HeadAsGet, [(b"content-length", b"4")], method="HEAD")
    assert seen["method"] == "GET"
    assert sent[0]["headers"] == [(b"content-length", b"4")]
    assert sent[1]["body"] == b""
    seen, sent = await through(HeadAsGet, [], method="GET")
    assert sent[1]["body"] == b"body"


def test_a_kept_answer_is_gzipped_once_and_counted_in_the_cache_size() -> None:
    cache = ResponseCache(2**20)
    cache.listening(True)
    key = ("tenant", "/api/v1/projects", b"")
    answer = Answer([], b"x" * 4096, '"1"', "tenant", None)
    assert cache.keep(key, answer, cache.generation)
    plain = cache.bytes
    zipped = cache.gzip(key, answer)
    assert gzip.decompress(zipped) == answer.body
    assert cache.gzip(key, answer) is zipped
    assert cache.bytes == plain + len(zipped)
    cache.listening(False)
    assert cache.bytes == 0

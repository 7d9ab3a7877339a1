"""HTTP as clients, caches and browsers expect it (RFC 9110, 9111, CORS), through the real
processes, with every fast path on and with all of them off: HEAD, Allow, 415, 414/431,
no slash redirects, absolute Location, Cache-Control and Vary, CORS, gzip."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import psycopg
import pytest

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from shared.database import DatabaseAddress
from tests.e2e.client import HTTP, Tenant, read_past_503
from tests.e2e.conftest import Stack, stack_of_its_own
from tests.support import until

pytestmark = pytest.mark.e2e
ORIGIN = "http://localhost:5173"
READ_VARY = ("x-tenant-token", "authorization")


@pytest.fixture(scope="module", params=["", "all"], ids=["fast-paths-on", "fast-paths-off"])
def stack(
    request: pytest.FixtureRequest,
    postgres_server: EmbeddedPostgres,
    template_url: str,
    nats_server: EmbeddedNats,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    with stack_of_its_own(
        postgres_server,
        template_url,
        nats_server,
        tmp_path_factory.mktemp("logs"),
        command_workers=1,
        query_workers=1,
        fast_paths_off=request.param,
        cors_origins="http://localhost:*,http://127.0.0.1:*",
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> tuple[Tenant, dict[str, Any], int]:
    """A project whose nested view is well over 1 KiB, read once so that it is projected."""
    tenant = Tenant(stack)
    project = tenant.project("Big")
    position = 0
    for n in range(12):
        answer = tenant.command(
            "POST", f"/projects/{project['id']}/tasks", json={"title": f"task {n} " + "x" * 80}
        )
        position = int(answer.headers["X-Event-Position"])
    read_past_503(
        lambda: tenant.query(
            f"/projects/{project['id']}", headers={"X-Min-Position": str(position)}
        ),
        within=10,
    )
    return tenant, project, position


def read_at(url: str, headers: dict[str, str]) -> httpx.Response:
    return read_past_503(lambda: HTTP.get(url, headers=headers), within=10)


def fresh(url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes] | None:
    """A GET's raw answer, unless a 503 for a position not reached yet."""
    answer = raw("GET", url, headers)
    return None if answer[0].status_code == 503 else answer


def is_problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    return body


def raw(method: str, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent, not decoded."""
    with HTTP.stream(method, url, headers=headers) as answer:
        return answer, b"".join(answer.iter_raw())


def vary(answer: httpx.Response) -> list[str]:
    return [v.strip().lower() for v in answer.headers.get("vary", "").split(",") if v.strip()]


def event_count(stack: Stack) -> int:
    with psycopg.connect(DatabaseAddress.parse(stack.database_url).conninfo()) as conn:
        row = conn.execute("SELECT count(*) FROM taskstream_events").fetchone()
    assert row is not None
    return int(row[0])


# HEAD -----------------------------------------------------------------------------------

SAME = ("etag", "content-length", "content-type", "content-encoding", "cache-control", "vary")


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_head_answers_what_get_would_without_a_body(
    stack: Stack, seeded: tuple[Tenant, dict[str, Any], int], encoding: str
) -> None:
    tenant, project, _ = seeded
    headers = {**tenant.headers, "Accept-Encoding": encoding}
    urls = [
        f"{stack.query_url}/api/v1/projects/{project['id']}",
        f"{stack.query_url}/api/v1/projects",
        f"{stack.query_url}/api/v1/tasks?project_id={project['id']}",
        *(
            f"{base}/{path}"
            for base in (stack.command_url, stack.query_url)
            for path in ("health", "ready")
        ),
    ]
    for url in urls:
        for _ in range(2):  # a miss, then a hit of the answer cache
            got, body = raw("GET", url, headers)
            head, nothing = raw("HEAD", url, headers)
            assert (got.status_code, head.status_code) == (200, 200), (url, nothing)
            assert nothing == b""
            assert int(head.headers["content-length"]) == len(body)
            for name in SAME:
                assert head.headers.get(name) == got.headers.get(name), (url, name)
            if url.startswith(stack.query_url):
                assert head.headers["x-projection-position"].isdigit()
    for base in (stack.command_url, stack.query_url):
        assert raw("HEAD", f"{base}/metrics", headers)[0].status_code == 200


def test_head_of_a_refused_read_is_the_same_problem_without_a_body(stack: Stack) -> None:
    got, _ = raw("GET", f"{stack.query_url}/api/v1/projects", {})
    head, nothing = raw("HEAD", f"{stack.query_url}/api/v1/projects", {})
    assert (got.status_code, head.status_code, nothing) == (401, 401, b"")
    assert head.headers["content-type"] == "application/problem+json"


# Allow ----------------------------------------------------------------------------------


def allowed(answer: httpx.Response) -> set[str]:
    return {m.strip() for m in answer.headers["allow"].split(",")}


def test_a_405_lists_every_method_of_the_path_as_a_problem(
    stack: Stack, seeded: tuple[Tenant, dict[str, Any], int]
) -> None:
    tenant, project, _ = seeded
    pid = project["id"]
    answer = tenant.command("PUT", f"/projects/{pid}", json={"name": "n"})
    is_problem(answer, 405)
    assert allowed(answer) == {"PATCH", "DELETE"}
    answer = tenant.command("GET", "/projects")
    is_problem(answer, 405)
    assert allowed(answer) == {"POST"}
    answer = HTTP.post(f"{stack.query_url}/api/v1/projects/{pid}", headers=tenant.headers)
    is_problem(answer, 405)
    assert allowed(answer) == {"GET", "HEAD"}
    answer = HTTP.delete(f"{stack.query_url}/health")
    is_problem(answer, 405)
    assert allowed(answer) == {"GET", "HEAD"}


# 415 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_415_and_records_nothing(
    stack: Stack, seeded: tuple[Tenant, dict[str, Any], int], content_type: str | None
) -> None:
    tenant, project, _ = seeded
    before = event_count(stack)
    headers = {} if content_type is None else {"Content-Type": content_type}
    created = tenant.command("POST", "/projects", content=b'{"name": "n"}', headers=headers)
    assert "application/json" in is_problem(created, 415)["detail"]
    assert created.headers["accept-post"] == "application/json"
    patched = tenant.command(
        "PATCH", f"/projects/{project['id']}", content=b'{"name": "n"}', headers=headers
    )
    assert "application/json" in is_problem(patched, 415)["detail"]
    assert patched.headers["accept-patch"] == "application/json"
    assert event_count(stack) == before


def test_a_missing_body_is_415_without_a_content_type_and_json_suffixes_are_json(
    stack: Stack, seeded: tuple[Tenant, dict[str, Any], int]
) -> None:
    tenant, project, _ = seeded
    is_problem(tenant.command("POST", "/projects"), 415)
    is_problem(
        tenant.command("POST", "/projects", headers={"Content-Type": "application/json"}), 422
    )
    merge = {"Content-Type": "application/merge-patch+json"}
    answer = tenant.command(
        "PATCH", f"/projects/{project['id']}", content=b'{"description": "d"}', headers=merge
    )
    assert answer.status_code == 200, answer.text


# 414 / 431 ------------------------------------------------------------------------------


def exchange(url: str, request: bytes) -> bytes:
    host, _, port = url.removeprefix("http://").partition(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.settimeout(10)
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("api", ["command", "query"])
@pytest.mark.parametrize(
    ("target", "header", "status"),
    [
        ("/api/v1/projects?x=" + "a" * 70_000, "", b"414"),
        ("/api/v1/projects?x=" + "a" * 9_000, "", b"414"),
        (
            "/api/v1/projects",
            "X-Big: " + "a" * 70_000 + "\r\n",
            b"431",
        ),
        (
            "/api/v1/projects",
            "".join(f"X-{n}: {'a' * 1000}\r\n" for n in range(20)),
            b"431",
        ),
    ],
    ids=["url-70k", "url-9k", "header-70k", "headers-20k"],
)
def test_too_long_a_url_or_header_is_a_problem(
    stack: Stack, api: str, target: str, header: str, status: bytes
) -> None:
    url = stack.command_url if api == "command" else stack.query_url
    request = f"GET {target} HTTP/1.1\r\nHost: taskstream\r\n{header}\r\n".encode()
    received = exchange(url, request)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 " + status + b" "), received[:300]
    assert b"content-type: application/problem+json" in head.lower()
    assert b'"status":' + status in body.replace(b" ", b"")
    assert HTTP.get(f"{url}/health").status_code == 200


# Trailing slash -------------------------------------------------------------------------


def test_a_trailing_slash_is_a_404_problem_never_a_redirect(
    stack: Stack, seeded: tuple[Tenant, dict[str, Any], int]
) -> None:
    tenant, project, _ = seeded
    evil = {**tenant.headers, "Host": "evil.example"}
    for answer in (
        HTTP.get(f"{stack.query_url}/api/v1/projects/", headers=evil),
        HTTP.get(f"{stack.query_url}/api/v1/projects/{project['id']}/", headers=evil),
        HTTP.post(f"{stack.command_url}/api/v1/projects/", json={"name": "n"}, headers=evil),
    ):
        is_problem(answer, 404)
        assert "location" not in answer.headers


# Location -------------------------------------------------------------------------------


def test_location_on_a_201_is_the_absolute_url_to_read_it_on_the_query_api(
    stack: Stack,
) -> None:
    tenant = Tenant(stack)
    project = tenant.command("POST", "/projects", json={"name": "Located"})
    tag = tenant.command("POST", "/tags", json={"name": "located"})
    task = tenant.command(
        "POST", f"/projects/{project.json()['id']}/tasks", json={"title": "located"}
    )
    for created, kind in ((project, "projects"), (tag, "tags"), (task, "tasks")):
        assert created.status_code == 201, created.text
        location = created.headers["location"]
        assert location == f"{stack.query_url}/api/v1/{kind}/{created.json()['id']}"
        position = created.headers["X-Event-Position"]
        read = read_at(location, {**tenant.headers, "X-Min-Position": position})
        assert read.status_code == 200
        assert read.json()["id"] == created.json()["id"]


# Cache-Control and Vary -----------------------------------------------------------------


def test_reads_are_private_and_vary_by_token_from_the_routes_and_the_cache(
    stack: Stack, seeded: tuple[Tenant, dict[str, Any], int]
) -> None:
    tenant, project, _ = seeded
    view = f"{stack.query_url}/api/v1/projects/{project['id']}"
    for url in (view, f"{stack.query_url}/api/v1/projects"):
        answers = [HTTP.get(url, headers=tenant.headers) for _ in range(2)]
        etag = answers[0].headers["etag"]
        answers += [
            HTTP.get(url, headers={**tenant.headers, "If-None-Match": etag}) for _ in range(2)
        ]
        assert [a.status_code for a in answers] == [200, 200, 304, 304]
        for answer in answers:
            assert answer.headers["cache-control"] == "private, no-cache"
            assert set(READ_VARY) <= set(vary(answer)), answer.headers
    for refused in (
        HTTP.get(f"{stack.query_url}/api/v1/projects"),
        HTTP.get(f"{stack.query_url}/api/v1/projects/{Tenant(stack).id}", headers=tenant.headers),
    ):
        assert refused.status_code in (401, 404)
        assert refused.headers["cache-control"] == "private, no-cache"
        assert set(READ_VARY) <= set(vary(refused))


def test_command_answers_are_not_stored(stack: Stack) -> None:
    tenant = Tenant(stack)
    created = tenant.command("POST", "/projects", json={"name": "n"})
    refused = tenant.command("POST", "/projects", json={})
    for answer in (created, refused):
        assert answer.headers["cache-control"] == "no-store"


# CORS -----------------------------------------------------------------------------------

REQUEST_HEADERS = (
    "content-type, x-tenant-token, authorization, if-match, if-none-match, idempotency-key, "
    "x-min-position"
)


@pytest.mark.parametrize("api", ["command", "query"])
def test_a_preflight_from_an_allowed_origin_is_answered_for_our_headers(
    stack: Stack, api: str
) -> None:
    url = stack.command_url if api == "command" else stack.query_url
    answer = HTTP.options(
        f"{url}/api/v1/projects",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST" if api == "command" else "GET",
            "Access-Control-Request-Headers": REQUEST_HEADERS,
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    allowed_headers = {
        h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")
    }
    assert {h.strip() for h in REQUEST_HEADERS.split(",")} <= allowed_headers
    refused = HTTP.options(
        f"{url}/api/v1/projects",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in refused.headers


def test_answers_to_an_allowed_origin_expose_our_headers_errors_included(
    stack: Stack, seeded: tuple[Tenant, dict[str, Any], int]
) -> None:
    tenant, project, position = seeded
    origin = {"Origin": "http://127.0.0.1:8080"}
    created = tenant.command("POST", "/projects", json={"name": "cors"}, headers=origin)
    read = HTTP.get(
        f"{stack.query_url}/api/v1/projects/{project['id']}", headers={**tenant.headers, **origin}
    )
    for answer, exposed in (
        (created, {"etag", "location", "x-event-position", "idempotent-replayed"}),
        (read, {"etag", "x-projection-position", "retry-after"}),
    ):
        assert answer.headers["access-control-allow-origin"] == origin["Origin"]
        names = {
            h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")
        }
        assert exposed <= names
    for refused in (
        HTTP.get(f"{stack.query_url}/api/v1/projects", headers=origin),
        HTTP.get(f"{stack.query_url}/api/v1/nothing", headers={**tenant.headers, **origin}),
        HTTP.get(
            f"{stack.query_url}/api/v1/projects",
            headers={**tenant.headers, **origin, "X-Min-Position": str(position + 10**9)},
        ),
        tenant.command("POST", "/projects", json={}, headers=origin),
    ):
        assert refused.status_code in (401, 404, 422, 503), refused.text
        assert refused.headers["access-control-allow-origin"] == origin["Origin"]


# gzip -----------------------------------------------------------------------------------


def test_a_large_answer_is_gzipped_when_accepted_and_the_cache_keeps_both_forms(
    stack: Stack, seeded: tuple[Tenant, dict[str, Any], int]
) -> None:
    tenant, project, _ = seeded
    view = f"{stack.query_url}/api/v1/projects/{project['id']}"
    plain = [raw("GET", view, {**tenant.headers, "Accept-Encoding": "identity"}) for _ in range(2)]
    zipped = [raw("GET", view, {**tenant.headers, "Accept-Encoding": "gzip"}) for _ in range(3)]
    assert len(plain[0][1]) > 1024
    for answer, body in plain:
        assert "content-encoding" not in answer.headers
        assert body == plain[0][1]
        assert "accept-encoding" in vary(answer)
    for answer, body in zipped:
        assert answer.headers["content-encoding"] == "gzip"
        assert int(answer.headers["content-length"]) == len(body) < len(plain[0][1])
        assert gzip.decompress(body) == plain[0][1]
        assert answer.headers["etag"] == plain[0][0].headers["etag"]
        assert [v for v in vary(answer) if v != "origin"] == [
            "x-tenant-token",
            "authorization",
            "accept-encoding",
        ]
    changed = tenant.command("POST", f"/projects/{project['id']}/tasks", json={"title": "new"})
    at = {**tenant.headers, "X-Min-Position": changed.headers["X-Event-Position"]}
    first = read_at(view, {**at, "Accept-Encoding": "identity"})  # waits for the projection
    for encoding in ("gzip", "identity"):  # misses: the change's notice dropped the view
        patched = tenant.command(
            "PATCH", f"/projects/{project['id']}", json={"description": encoding}
        )
        wanted = {"X-Min-Position": patched.headers["X-Event-Position"]}
        headers = {**tenant.headers, **wanted, "Accept-Encoding": encoding}
        answer, body = until(partial(fresh, view, headers), within=10)
        assert int(answer.headers["content-length"]) == len(body)
        assert answer.status_code == 200
        assert answer.headers.get("content-encoding") == (
            None if encoding == "identity" else "gzip"
        )
        plain_body = gzip.decompress(body) if encoding == "gzip" else body
        assert plain_body.startswith(b"{") and len(plain_body) >= len(first.content)
        assert encoding.encode() in plain_body
    small = raw("GET", f"{stack.query_url}/health", {"Accept-Encoding": "gzip"})[0]
    assert "content-encoding" not in small.headers


def test_a_large_command_answer_is_gzipped_when_accepted(stack: Stack) -> None:
    answer, body = raw("GET", f"{stack.command_url}/openapi.json", {"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body).startswith(b"{")

"""The gate reads a request's token and X-Min-Position once, for every layer after it:
what it found (the caller, or the problem to answer with) is in the scope, and only
for the API's reads."""

from __future__ import annotations

from uuid import uuid4

import pytest
from starlette.types import Message, Receive, Scope, Send

from services.query.freshness.gate import ADMITTED, ReadGate, admitted
from services.query.freshness.watcher import PositionWatcher
from shared.auth import TokenCache
from shared.problems import Problem
from shared.tokens import Caller, TokenRules, issue_token
from tests.conftest import JWT_SECRET

TENANT = uuid4()
TOKEN = issue_token(JWT_SECRET, TENANT, 600).encode()


async def through_gate(method: str, path: str, *headers: tuple[bytes, bytes]) -> Scope:
    """The scope the layers after the gate see."""
    seen: list[Scope] = []

    async def after(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    watcher = PositionWatcher("never connected")
    watcher.position = 10
    watcher.following.set()
    gate = ReadGate(after, tokens=TokenCache(TokenRules(JWT_SECRET)), watcher=watcher, bound=0.01)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        raise AssertionError("the gate never answers itself")

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    await gate(scope, receive, send)
    return seen[0]


async def test_an_admitted_read_carries_its_caller() -> None:
    scope = await through_gate(
        "GET", "/api/v1/tags", (b"x-tenant-token", TOKEN), (b"x-min-position", b"10")
    )
    assert admitted(scope) == Caller(TENANT, None)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ((), 401),
        (((b"x-tenant-token", b"forged"),), 401),
        (((b"x-tenant-token", TOKEN), (b"x-min-position", b"1.5")), 422),
        (((b"x-tenant-token", TOKEN), (b"x-min-position", b"11")), 503),
    ],
)
async def test_a_refused_read_carries_its_problem_to_the_routes(
    headers: tuple[tuple[bytes, bytes], ...], status: int
) -> None:
    scope = await through_gate("HEAD", "/api/v1/projects", *headers)
    with pytest.raises(Problem) as caught:
        admitted(scope)
    assert caught.value.status == status
    if status == 503:
        assert caught.value.headers == {"Retry-After": "1", "X-Projection-Position": "10"}


@pytest.mark.parametrize(("method", "path"), [("GET", "/health"), ("POST", "/api/v1/tags")])
async def test_what_is_not_a_read_of_the_api_passes_untouched(method: str, path: str) -> None:
    assert ADMITTED not in await through_gate(method, path)


async def test_the_public_schemas_are_no_tenants_read() -> None:
    """Neither authenticated nor held for X-Min-Position (a bound of 0.01 s here)."""
    scope = await through_gate(
        "GET",
        "/api/v1/schemas/TaskCreated/1",
        (b"x-tenant-token", b"forged"),
        (b"x-min-position", b"11"),
    )
    assert ADMITTED not in scope

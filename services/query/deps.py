"""What every read needs: the caller's tenant, the database, read-your-writes, and ETags.

One `async` dependency does it all: FastAPI resolves each dependency on every request,
and a plain `def` one runs in its threadpool; both cost more than a primary-key read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from services.query.position import PositionWatcher, wait_left
from services.query.queries import ObjectReads, Pool
from shared.auth import authenticate
from shared.headers import MAX_POSITION, natural
from shared.plain_routes import PlainRoute
from shared.problems import Problem
from shared.tokens import Caller


@dataclass(frozen=True)
class Read:
    """A tenant-scoped read at a known projection position."""

    caller: Caller
    pool: Pool
    """For lists; a read of one object goes through `objects`, batched."""
    objects: ObjectReads
    position: int
    if_none_match: str | None

    def json(self, body: str, digest: str | None = None) -> Response:
        """200 with an ETag over the body (from `digest` when the body's hash is kept
        with it), or 304 when the client already holds it."""
        data = body.encode()
        etag = f'"{digest or hashlib.blake2b(data, digest_size=12).hexdigest()}"'
        headers = {"ETag": etag, "X-Projection-Position": str(self.position)}
        if self.if_none_match is not None and etag_matches(self.if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return Response(content=data, media_type="application/json", headers=headers)


def etag_matches(if_none_match: str, etag: str) -> bool:
    candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


async def read(request: Request) -> Read:
    caller = await authenticate(request)
    min_position = parse_min_position(request.headers.get("x-min-position"))
    watcher: PositionWatcher = request.app.state.watcher
    timeout: float = request.app.state.min_position_wait
    if min_position is not None and not await watcher.wait_for(
        min_position, wait_left(request.scope, timeout)
    ):
        waited = (
            f"within {timeout:g} s"
            if watcher.following.is_set()
            else "(the database is unreachable)"
        )
        raise Problem(
            503,
            "Service Unavailable",
            f"the read model has not reached position {min_position} {waited} "
            f"(it is at {watcher.position}); retry shortly",
            headers={"Retry-After": "1", "X-Projection-Position": str(watcher.position)},
        )
    state = request.app.state
    return Read(
        caller, state.pool, state.objects, watcher.position, request.headers.get("if-none-match")
    )


def parse_min_position(value: str | None) -> int | None:
    if value is None:
        return None
    position = natural(value)
    if position is None:
        raise Problem(
            422,
            "Unprocessable Content",
            f"X-Min-Position must be an integer from 0 to {MAX_POSITION} in ASCII digits: "
            "a command's X-Event-Position",
            errors=[{"loc": ["header", "x-min-position"], "msg": "not a position"}],
        )
    return position


ReadDep = Annotated[Read, Depends(read)]


class ReadRoute(PlainRoute):
    """Reads of one object read a plain request themselves (shared/plain_routes.py); lists,
    with their query parameters, keep FastAPI's handler."""

    dependency = ReadDep


READ_HEADERS: dict[str, Any] = {
    "parameters": [
        {
            "name": "X-Tenant-Token",
            "in": "header",
            "required": False,
            "description": "The tenant's JWT (or send Authorization: Bearer <token>).",
            "schema": {"type": "string"},
        },
        {
            "name": "X-Min-Position",
            "in": "header",
            "required": False,
            "description": "Answer only once the read model has applied this position (a "
            "command's X-Event-Position); 503 with Retry-After past the wait bound.",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
        },
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "An ETag from an earlier answer: 304 if the body is unchanged.",
            "schema": {"type": "string"},
        },
    ]
}

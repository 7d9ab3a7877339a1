"""What every read route is handed: the caller the gate let through, the database, the
read model's position, and the answer built with its ETag.

One `async` dependency does it all: FastAPI resolves each dependency on every request,
and a plain `def` one runs in its threadpool; both cost more than a primary-key read.
Authentication and X-Min-Position happened once already, in the gate
(services/query/freshness/gate.py); a problem it found is raised here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from services.query.etags import etag_matches, etag_of
from services.query.freshness.gate import admitted
from services.query.freshness.watcher import PositionWatcher
from services.query.objects import Found, ObjectReads
from services.query.pool import Pool
from shared.plain_routes import PlainRoute
from shared.tokens import Caller


@dataclass(frozen=True)
class Read:
    """A tenant-scoped read at a known projection position."""

    caller: Caller
    pool: Pool
    """For lists; a read of one object goes through `objects`."""
    objects: ObjectReads
    position: int
    if_none_match: str | None

    def json(self, body: str) -> Response:
        """A list: 200 with an ETag, or 304 when the client already holds it."""
        return self._answer(body.encode(), etag_of)

    def one(self, found: Found) -> Response:
        """One object, its ETag naming its version (services/query/etags.py)."""
        return self._answer(
            found.body.encode(), partial(etag_of, version=found.version, digest=found.digest)
        )

    def _answer(self, data: bytes, etag_for: Callable[[bytes], str]) -> Response:
        etag = etag_for(data)
        headers = {"ETag": etag, "X-Projection-Position": str(self.position)}
        if self.if_none_match is not None and etag_matches(self.if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return Response(content=data, media_type="application/json", headers=headers)


async def read(request: Request) -> Read:
    caller = admitted(request.scope)
    state = request.app.state
    watcher: PositionWatcher = state.watcher
    return Read(
        caller, state.pool, state.objects, watcher.position, request.headers.get("if-none-match")
    )


ReadDep = Annotated[Read, Depends(read)]


class ReadRoute(PlainRoute):
    """Reads of one object read a plain request themselves (shared/plain_routes.py); lists,
    with their query parameters, keep FastAPI's handler."""

    dependency = ReadDep

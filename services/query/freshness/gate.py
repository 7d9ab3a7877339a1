"""The one place a read is authenticated and waits for its X-Min-Position.

Every GET or HEAD of the read API passes here once, before the answer cache and the
routes: the caller's token is verified, X-Min-Position is read by the one rule for
numeric headers (shared/headers.py), and the read waits, at most the configured bound,
until the read model holds that position. What it found is left in the request's scope
for the layers after it: the caller, or the problem to answer with. The routes raise
that problem, so a refused read is answered as every other problem is, and a path no
route takes is still a 404. The published event schemas (under PUBLIC) are no tenant's
data and wait for no position: they pass untouched.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from services.query.freshness.watcher import PositionWatcher
from shared.auth import TokenCache, token_from_headers
from shared.headers import MAX_POSITION, natural
from shared.problems import Problem
from shared.tokens import Caller

PREFIX = "/api/v1/"
PUBLIC = "/api/v1/schemas/"
ADMITTED = "taskstream.admitted"
"""The scope's key for what the gate found: a Caller, or the Problem to answer."""
READS = frozenset({"GET", "HEAD"})


class ReadGate:
    def __init__(
        self, app: ASGIApp, *, tokens: TokenCache, watcher: PositionWatcher, bound: float
    ) -> None:
        self.app = app
        self._tokens = tokens
        self._watcher = watcher
        self._bound = bound

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in READS
            and scope["path"].startswith(PREFIX)
            and not scope["path"].startswith(PUBLIC)
        ):
            scope[ADMITTED] = await self._admit(Headers(scope=scope))
        await self.app(scope, receive, send)

    async def _admit(self, headers: Headers) -> Caller | Problem:
        try:
            caller = self._tokens.caller(token_from_headers(headers))
            wanted = parse_min_position(headers.get("x-min-position"))
        except Problem as refused:
            return refused
        if wanted is None or await self._watcher.wait_for(wanted, self._bound):
            return caller
        return self._not_reached(wanted)

    def _not_reached(self, wanted: int) -> Problem:
        watcher = self._watcher
        waited = (
            f"within {self._bound:g} s"
            if watcher.following.is_set()
            else "(the database is unreachable)"
        )
        return Problem(
            503,
            "Service Unavailable",
            f"the read model has not reached position {wanted} {waited} "
            f"(it is at {watcher.position}); retry shortly",
            headers={"Retry-After": "1", "X-Projection-Position": str(watcher.position)},
        )


def admitted(scope: Scope) -> Caller:
    """The caller the gate let through; raises the problem it found instead."""
    found: Caller | Problem = scope[ADMITTED]
    if isinstance(found, Problem):
        raise found
    return found


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

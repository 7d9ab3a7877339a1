"""What every command route needs from a request: who calls, when, and on what version.

One `async` dependency parses it all. FastAPI runs a plain `def` dependency in its
threadpool, and each dependency costs its own resolution on every request; for a
small command both were dearer than the command itself. The headers it reads are
documented on the routes through `IF_MATCH` and `IDEMPOTENCY_KEY`, the token by the
security schemes of shared/openapi_security.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.handling import Commands
from services.command.preconditions import IfMatch, parse_if_match
from services.command.recording.idempotency import KeyedRequest, keyed_request
from shared.auth import authenticate
from shared.openapi_security import TOKEN_REQUIRED
from shared.plain_routes import PlainRoute


@dataclass(frozen=True)
class Call:
    ctx: Context
    app: TaskstreamApplication
    commands: Commands
    if_match: IfMatch | None
    idempotency_key: str | None
    path: str
    query_url: str
    """Where what this call creates is read (its Location)."""

    def keyed(self, body: Any) -> KeyedRequest | None:
        """The Idempotency-Key request for a POST with this body, if a key was sent."""
        if self.idempotency_key is None:
            return None
        return keyed_request(self.ctx.tenant_id, self.idempotency_key, "POST", self.path, body)


async def command_call(request: Request) -> Call:
    caller = await authenticate(request)
    state = request.app.state
    return Call(
        ctx=Context(tenant_id=caller.tenant_id, actor=caller.subject, now=datetime.now(UTC)),
        app=state.application,
        commands=state.commands,
        if_match=parse_if_match(request.headers.get("if-match")),
        idempotency_key=request.headers.get("idempotency-key"),
        path=request.scope["path"],
        query_url=state.query_url,
    )


CallDep = Annotated[Call, Depends(command_call)]


class CommandRoute(PlainRoute):
    """Command routes read a plain request themselves (shared/plain_routes.py)."""

    dependency = CallDep


# RFC 9110's If-Match: `*`, or a list of entity tags (etagc "!", "#".."~"; obs-text, which
# no tag of ours holds, is left out so that generated values stay ASCII).
_TAG = r'(W/)?"[!#-~]*"'
ENTITY_TAGS = rf"^(\*|{_TAG}( *, *{_TAG})*)$"
# What `str.isprintable` passes of a header's latin-1, not starting or ending in a space
# (HTTP drops those).
_PRINTABLE = r"\x20-\x7e\xa1-\xac\xae-\xff"
_VISIBLE = r"\x21-\x7e\xa1-\xac\xae-\xff"
PRINTABLE = rf"^[{_VISIBLE}]([{_PRINTABLE}]*[{_VISIBLE}])?$"
IF_MATCH: dict[str, Any] = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'Apply only if the object is still at a version named here: "*", or '
    'a comma-separated list of ETags either API answered for it ("3" from the command '
    'API, "3.<digest>" from the query API; only the version is compared). A weak ETag '
    "never matches. No match: 412.",
    "schema": {"type": "string", "pattern": ENTITY_TAGS},
}
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Repeat a POST safely: the same key and body within 24 h get the first "
    "answer again and record nothing new; the same key with another body gets 422.",
    "schema": {"type": "string", "maxLength": 255, "pattern": PRINTABLE},
}
KEYED = {"parameters": [IDEMPOTENCY_KEY], "security": TOKEN_REQUIRED}
VERSIONED = {"parameters": [IF_MATCH], "security": TOKEN_REQUIRED}

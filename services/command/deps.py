"""What every command route needs from a request: who calls, when, and on what version.

One `async` dependency parses it all. FastAPI runs a plain `def` dependency in its
threadpool, and each dependency costs its own resolution on every request; for a
small command both were dearer than the command itself. The headers it reads are
documented on the routes through `IF_MATCH` and `IDEMPOTENCY_KEY`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.handling import Commands
from services.command.recording.idempotency import KeyedRequest, keyed_request
from shared.auth import authenticate
from shared.headers import natural
from shared.plain_routes import PlainRoute
from shared.problems import Problem

_ETAG = re.compile(r'(?:W/)?"?([^"]*)"?')


@dataclass(frozen=True)
class Call:
    ctx: Context
    app: TaskstreamApplication
    commands: Commands
    if_match: int | None
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


def parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip(" \t") == "*":
        return None
    match = _ETAG.fullmatch(value.strip(" \t"))
    version = None if match is None else natural(match.group(1))
    if version is None:
        raise Problem(400, "Bad Request", 'If-Match must be an ETag this API answered, such as "3"')
    return version


CallDep = Annotated[Call, Depends(command_call)]


class CommandRoute(PlainRoute):
    """Command routes read a plain request themselves (shared/plain_routes.py)."""

    dependency = CallDep


IF_MATCH: dict[str, Any] = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'Apply only if the object is still at this version (its ETag, e.g. "3"); '
    "else 412.",
    "schema": {"type": "string"},
}
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Repeat a POST safely: the same key and body within 24 h get the first "
    "answer again and record nothing new; the same key with another body gets 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
TENANT_TOKEN: dict[str, Any] = {
    "name": "X-Tenant-Token",
    "in": "header",
    "required": False,
    "description": "The tenant's JWT (or send Authorization: Bearer <token>).",
    "schema": {"type": "string"},
}
KEYED = {"parameters": [TENANT_TOKEN, IDEMPOTENCY_KEY]}
VERSIONED = {"parameters": [TENANT_TOKEN, IF_MATCH]}

"""Request-scoped pieces every command route needs: who calls, when, and on what version."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.handling import Commands
from shared.auth import CallerDep
from shared.problems import Problem

_ETAG = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


def context(caller: CallerDep) -> Context:
    return Context(tenant_id=caller.tenant_id, actor=caller.subject, now=datetime.now(UTC))


def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The version the change is meant for, as answered in ETag ("3").',
        ),
    ] = None,
) -> int | None:
    if value is None or value.strip() == "*":
        return None
    match = _ETAG.match(value.strip())
    if match is None:
        raise Problem(400, "Bad Request", 'If-Match must be an ETag this API answered, such as "3"')
    return int(match.group(1))


def idempotency_key(
    value: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Repeat a POST safely: the same key and body within 24 h get the "
            "first answer again and record nothing new.",
        ),
    ] = None,
) -> str | None:
    return value


def commands(request: Request) -> Commands:
    runner: Commands = request.app.state.commands
    return runner


def application(request: Request) -> TaskstreamApplication:
    app: TaskstreamApplication = request.app.state.application
    return app


ContextDep = Annotated[Context, Depends(context)]
IfMatchDep = Annotated[int | None, Depends(if_match)]
IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]
CommandsDep = Annotated[Commands, Depends(commands)]
AppDep = Annotated[TaskstreamApplication, Depends(application)]

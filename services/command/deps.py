"""Request-scoped pieces every command route needs: who is calling, and when."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Response

from services.command.domain.base import Context
from shared.auth import CallerDep


def context(caller: CallerDep) -> Context:
    return Context(tenant_id=caller.tenant_id, actor=caller.subject, now=datetime.now(UTC))


def write_headers(response: Response, version: int, position: int) -> None:
    response.headers["ETag"] = f'"{version}"'
    response.headers["X-Event-Position"] = str(position)

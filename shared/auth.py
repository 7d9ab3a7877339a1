"""Tenant tokens: every request names its tenant through a signed JWT (DESIGN §3)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import jwt
from fastapi import Depends, Request

from shared.problems import Problem

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Caller:
    """Who is asking: the tenant every read and write is confined to, and the actor."""

    tenant_id: UUID
    subject: str | None


def issue_token(
    secret: str, tenant_id: UUID, ttl_seconds: int | None = None, subject: str | None = None
) -> str:
    claims: dict[str, object] = {"tenant_id": str(tenant_id), "iat": int(time.time())}
    if ttl_seconds is not None:
        claims["exp"] = int(time.time()) + ttl_seconds
    if subject is not None:
        claims["sub"] = subject
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Caller:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["tenant_id"], "verify_exp": True},
        )
    except jwt.ExpiredSignatureError as e:
        raise _unauthorized("the token has expired; ask for a new one") from e
    except jwt.PyJWTError as e:
        raise _unauthorized(f"the token is not valid: {e}") from e
    try:
        tenant_id = UUID(str(claims["tenant_id"]))
    except ValueError as e:
        raise _unauthorized("the token's tenant_id claim is not a UUID") from e
    subject = claims.get("sub")
    return Caller(tenant_id=tenant_id, subject=str(subject) if subject is not None else None)


def token_from_headers(headers: Mapping[str, str]) -> str:
    token = headers.get("x-tenant-token")
    if token:
        return token.strip()
    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    raise _unauthorized(
        "send a tenant token in the X-Tenant-Token header or as Authorization: Bearer <token>"
    )


class TokenCache:
    """Verified tokens, so a client's repeated token is checked once, not on every request.

    Signature checks are most of a small request's CPU. A cached token is still refused
    once its `exp` has passed; the cache is bounded and keyed by the whole token, so a
    changed token is verified afresh.
    """

    def __init__(self, secret: str, size: int = 10_000) -> None:
        self._secret = secret
        self._size = size
        self._verified: dict[str, tuple[Caller, float | None]] = {}

    def caller(self, token: str) -> Caller:
        hit = self._verified.get(token)
        if hit is not None:
            caller, expires = hit
            if expires is None or time.time() < expires:
                return caller
            del self._verified[token]
        caller = verify_token(self._secret, token)
        if len(self._verified) >= self._size:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = (caller, _expiry(token))
        return caller


def _expiry(token: str) -> float | None:
    exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    return float(exp) if isinstance(exp, int | float) else None


async def authenticate(request: Request) -> Caller:
    cache: TokenCache = request.app.state.tokens
    return cache.caller(token_from_headers(request.headers))


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


CallerDep = Annotated[Caller, Depends(authenticate)]

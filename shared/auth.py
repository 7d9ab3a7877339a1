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
from shared.settings import Settings

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Caller:
    """Who is asking: the tenant every read and write is confined to, and the actor."""

    tenant_id: UUID
    subject: str | None


@dataclass(frozen=True)
class TokenRules:
    """What a token must hold to be accepted. `leeway_seconds` forgives an issuer whose
    clock runs ahead of ours (`iat`, `nbf` a little in the future); `exp` has none, so
    an expired token is refused. `audience` and `issuer`, when set, are required claims
    (`aud`, `iss`) and must match."""

    secret: str
    leeway_seconds: float = 30.0
    audience: str | None = None
    issuer: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> TokenRules:
        return cls(
            settings.require_jwt_secret(),
            settings.jwt_leeway_seconds,
            settings.jwt_audience,
            settings.jwt_issuer,
        )


def issue_token(
    secret: str,
    tenant_id: UUID,
    ttl_seconds: int | None = None,
    subject: str | None = None,
    *,
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {"tenant_id": str(tenant_id), "iat": now}
    if ttl_seconds is not None:
        claims["exp"] = now + ttl_seconds
    for name, value in (("sub", subject), ("aud", audience), ("iss", issuer)):
        if value is not None:
            claims[name] = value
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class Verified:
    caller: Caller
    expires: int | None
    """When the token stops being valid (its `exp` as the JWT library read it)."""


def verify_token(rules: TokenRules, token: str) -> Caller:
    return verified(rules, token).caller


def verified(rules: TokenRules, token: str) -> Verified:
    required = ["tenant_id"]
    required += [
        claim for claim, value in (("aud", rules.audience), ("iss", rules.issuer)) if value
    ]
    try:
        claims = jwt.decode(
            token,
            rules.secret,
            algorithms=[ALGORITHM],
            audience=rules.audience,
            issuer=rules.issuer,
            leeway=rules.leeway_seconds,
            options={"require": required, "verify_exp": True},
        )
    except jwt.ExpiredSignatureError as e:
        raise _expired() from e
    except jwt.PyJWTError as e:
        raise _unauthorized(f"the token is not valid: {e}") from e
    # The library has read `exp` with int() (a numeric string, a float, any Unicode
    # digits) and allowed it the leeway; the same reading, without it, is the expiry.
    expires = int(claims["exp"]) if "exp" in claims else None
    if expires is not None and expires <= time.time():
        raise _expired()
    try:
        tenant_id = UUID(str(claims["tenant_id"]))
    except ValueError as e:
        raise _unauthorized("the token's tenant_id claim is not a UUID") from e
    subject = claims.get("sub")
    caller = Caller(tenant_id=tenant_id, subject=str(subject) if subject is not None else None)
    return Verified(caller, expires)


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

    Signature checks are most of a small request's CPU. A cached token is refused once
    its expiry has passed, read from `exp` as the JWT library read it; the cache is
    bounded and keyed by the whole token, so a changed token is verified afresh.
    """

    def __init__(self, rules: TokenRules, size: int = 10_000) -> None:
        self._rules = rules
        self._size = size
        self._verified: dict[str, Verified] = {}

    def caller(self, token: str) -> Caller:
        hit = self._verified.get(token)
        if hit is not None:
            if hit.expires is None or time.time() < hit.expires:
                return hit.caller
            del self._verified[token]
            raise _expired()
        found = verified(self._rules, token)
        if len(self._verified) >= self._size:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = found
        return found.caller


async def authenticate(request: Request) -> Caller:
    cache: TokenCache = request.app.state.tokens
    return cache.caller(token_from_headers(request.headers))


def _expired() -> Problem:
    return _unauthorized("the token has expired; ask for a new one")


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


CallerDep = Annotated[Caller, Depends(authenticate)]

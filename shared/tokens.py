"""Tenant tokens: signed JWTs that name the tenant (and the actor), issued and verified
under one set of rules."""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

import jwt

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
        raise expired() from e
    except jwt.PyJWTError as e:
        raise unauthorized(f"the token is not valid: {e}") from e
    # The library has read `exp` with int() (a numeric string, a float, any Unicode
    # digits) and allowed it the leeway; the same reading, without it, is the expiry.
    expires = int(claims["exp"]) if "exp" in claims else None
    if expires is not None and expires <= time.time():
        raise expired()
    try:
        tenant_id = UUID(str(claims["tenant_id"]))
    except ValueError as e:
        raise unauthorized("the token's tenant_id claim is not a UUID") from e
    subject = claims.get("sub")
    caller = Caller(tenant_id=tenant_id, subject=str(subject) if subject is not None else None)
    return Verified(caller, expires)


def expired() -> Problem:
    return unauthorized("the token has expired; ask for a new one")


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})

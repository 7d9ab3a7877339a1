"""Who is calling: the tenant token a request carries, verified once per token.

Every request of both APIs is authenticated here, by `authenticate` (the routes'
dependencies) or, for the query service's kept answers, by `TokenCache` directly.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from fastapi import Request

from shared.tokens import Caller, TokenRules, Verified, expired, unauthorized, verified


def token_from_headers(headers: Mapping[str, str]) -> str:
    token = headers.get("x-tenant-token")
    if token:
        return token.strip()
    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    raise unauthorized(
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
            raise expired()
        found = verified(self._rules, token)
        if len(self._verified) >= self._size:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = found
        return found.caller


async def authenticate(request: Request) -> Caller:
    cache: TokenCache = request.app.state.tokens
    return cache.caller(token_from_headers(request.headers))

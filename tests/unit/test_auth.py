"""Tenant tokens: what is accepted, and every way a token is refused."""

from __future__ import annotations

import time
from uuid import uuid4

import jwt
import pytest

from shared.auth import issue_token, verify_token
from shared.problems import Problem

SECRET = "unit-test-secret-long-enough-for-hs256!"


def test_a_signed_token_names_tenant_and_subject() -> None:
    tenant = uuid4()
    caller = verify_token(SECRET, issue_token(SECRET, tenant, ttl_seconds=60, subject="bob"))
    assert (caller.tenant_id, caller.subject) == (tenant, "bob")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        jwt.encode({"tenant_id": str(uuid4())}, "another-secret-of-enough-length!!", "HS256"),
        jwt.encode({"tenant_id": str(uuid4()), "exp": int(time.time()) - 10}, SECRET, "HS256"),
        jwt.encode({"sub": "no-tenant"}, SECRET, "HS256"),
        jwt.encode({"tenant_id": "not-a-uuid"}, SECRET, "HS256"),
        jwt.encode({"tenant_id": str(uuid4())}, None, "none"),
    ],
    ids=["malformed", "wrong-secret", "expired", "no-tenant", "bad-tenant", "alg-none"],
)
def test_bad_tokens_are_401(token: str) -> None:
    with pytest.raises(Problem) as caught:
        verify_token(SECRET, token)
    assert caught.value.status == 401

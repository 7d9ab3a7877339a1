"""Tenant tokens: what is accepted, and every way a token is refused."""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import uuid4

import jwt
import pytest

from shared.auth import TokenCache
from shared.problems import Problem
from shared.settings import Settings
from shared.tokens import TokenRules, issue_token, verify_token

SECRET = "unit-test-secret-long-enough-for-hs256!"
RULES = TokenRules(SECRET)


def test_a_signed_token_names_tenant_and_subject() -> None:
    tenant = uuid4()
    caller = verify_token(RULES, issue_token(SECRET, tenant, ttl_seconds=60, subject="bob"))
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
        verify_token(RULES, token)
    assert caught.value.status == 401


# What the token cache and the claims rules hold to.


def _token(**claims: object) -> str:
    return jwt.encode({"tenant_id": str(uuid4()), **claims}, SECRET, "HS256")


@pytest.mark.parametrize(
    "exp",
    [
        lambda now: now + 5,
        lambda now: str(now + 5),
        lambda now: f" {now + 5} ",
        lambda now: now + 5.9,
        lambda now: "".join(chr(0x660 + int(digit)) for digit in str(now + 5)),
    ],
    ids=["int", "numeric-string", "padded-string", "float", "arabic-indic-digits"],
)
def test_a_cached_token_is_refused_once_past_whatever_exp_the_library_accepted(
    exp: Callable[[int], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = int(time.time())
    token = _token(exp=exp(now))
    cache = TokenCache(RULES)
    cache.caller(token)
    assert cache.caller(token)
    monkeypatch.setattr(time, "time", lambda: now + 6)
    with pytest.raises(Problem) as caught:
        cache.caller(token)
    assert caught.value.status == 401
    assert "expired" in caught.value.detail


def test_exp_has_no_leeway() -> None:
    with pytest.raises(Problem, match="expired"):
        verify_token(RULES, _token(exp=int(time.time()) - 1))


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_an_issuer_clock_a_little_ahead_is_within_the_leeway(claim: str) -> None:
    ahead = int(time.time()) + 20
    assert verify_token(RULES, _token(**{claim: ahead}))
    assert verify_token(RULES, _token(**{claim: str(ahead)}))


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_a_token_from_beyond_the_leeway_is_refused(claim: str) -> None:
    with pytest.raises(Problem) as caught:
        verify_token(RULES, _token(**{claim: int(time.time()) + 40}))
    assert caught.value.status == 401
    with pytest.raises(Problem):
        verify_token(TokenRules(SECRET, leeway_seconds=0), _token(**{claim: int(time.time()) + 5}))


def test_audience_and_issuer_when_set_are_required_and_must_match() -> None:
    rules = TokenRules(SECRET, audience="taskstream", issuer="https://id.example")
    assert verify_token(rules, _token(aud="taskstream", iss="https://id.example"))
    for claims in (
        {},
        {"aud": "taskstream"},
        {"iss": "https://id.example"},
        {"aud": "another", "iss": "https://id.example"},
        {"aud": "taskstream", "iss": "https://elsewhere.example"},
    ):
        with pytest.raises(Problem) as caught:
            verify_token(rules, _token(**claims))
        assert caught.value.status == 401


def test_issued_tokens_carry_the_audience_and_issuer_asked_for() -> None:
    rules = TokenRules(SECRET, audience="taskstream", issuer="https://id.example")
    tenant = uuid4()
    token = issue_token(SECRET, tenant, 60, audience="taskstream", issuer="https://id.example")
    assert verify_token(rules, token).tenant_id == tenant


def test_the_rules_come_from_the_settings() -> None:
    settings = Settings(
        jwt_secret=SECRET,  # type: ignore[arg-type]
        jwt_leeway_seconds=5,
        jwt_audience="aud",
        jwt_issuer="",
    )
    assert TokenRules.of(settings) == TokenRules(SECRET, 5, "aud", None)

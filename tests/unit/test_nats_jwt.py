"""The NATS JWTs and credentials taskstream signs (nats-server's own verdict on them is in
tests/integration/test_nats_identities.py)."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest

from shared.nats_jwt import (
    KeyKind,
    Permissions,
    account_jwt,
    creds,
    decode,
    kind_of,
    new_seed,
    operator_jwt,
    public_key,
    user_jwt,
)

NOW = 1_800_000_000


def test_each_kind_of_key_has_its_letter() -> None:
    for kind, seed_start, key_start in (
        (KeyKind.OPERATOR, "SO", "O"),
        (KeyKind.ACCOUNT, "SA", "A"),
        (KeyKind.USER, "SU", "U"),
    ):
        seed = new_seed(kind)
        assert seed.startswith(seed_start)
        assert public_key(seed).startswith(key_start) and len(public_key(seed)) == 56
        assert kind_of(seed) is kind
    assert new_seed(KeyKind.USER) != new_seed(KeyKind.USER)


def test_what_is_not_a_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="not an nkey seed"):
        kind_of("SUnot-a-seed")


def test_a_user_jwt_says_who_signed_it_for_which_account_and_what_it_may_do() -> None:
    signing, account, user = (
        new_seed(KeyKind.ACCOUNT),
        new_seed(KeyKind.ACCOUNT),
        new_seed(KeyKind.USER),
    )
    permissions = Permissions(publish=("a.b", "c.>"), subscribe=("_INBOX.x.>",))
    token = user_jwt(
        signing,
        public_key(account),
        public_key(user),
        "reader",
        permissions,
        now=NOW,
        expires=NOW + 60,
    )
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"typ": "JWT", "alg": "ed25519-nkey"}
    claims = decode(token)
    assert claims["iss"] == public_key(signing)
    assert claims["sub"] == public_key(user)
    assert claims["iat"] == NOW and claims["exp"] == NOW + 60
    assert claims["name"] == "reader"
    assert re.fullmatch(r"[A-Z2-7]{52}", claims["jti"])
    nats = claims["nats"]
    assert nats["type"] == "user" and nats["version"] == 2
    assert nats["issuer_account"] == public_key(account)
    assert nats["pub"] == {"allow": ["a.b", "c.>"]}
    assert nats["sub"] == {"allow": ["_INBOX.x.>"]}


def test_a_user_allowed_nothing_is_denied_everything() -> None:
    """An empty allow list would allow everything in a NATS JWT."""
    token = user_jwt(
        new_seed(KeyKind.ACCOUNT),
        public_key(new_seed(KeyKind.ACCOUNT)),
        public_key(new_seed(KeyKind.USER)),
        "nobody",
        Permissions(publish=(), subscribe=()),
        now=NOW,
        expires=None,
    )
    nats = decode(token)["nats"]
    assert nats["pub"] == {"deny": [">"]} and nats["sub"] == {"deny": [">"]}
    assert "exp" not in decode(token)


def test_a_changed_claim_breaks_the_signature() -> None:
    signing = new_seed(KeyKind.ACCOUNT)
    token = user_jwt(
        signing,
        public_key(new_seed(KeyKind.ACCOUNT)),
        public_key(new_seed(KeyKind.USER)),
        "u",
        Permissions(publish=("a",), subscribe=()),
        now=NOW,
        expires=None,
    )
    header, claims, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(claims + "=="))
    body["nats"]["pub"]["allow"] = [">"]
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    with pytest.raises(Exception, match="signature"):
        decode(f"{header}.{forged}.{signature}")


def test_the_account_has_jetstream_and_trusts_its_signing_keys() -> None:
    operator, account, signing = (
        new_seed(KeyKind.OPERATOR),
        new_seed(KeyKind.ACCOUNT),
        new_seed(KeyKind.ACCOUNT),
    )
    claims = decode(
        account_jwt(operator, public_key(account), "taskstream", (public_key(signing),), now=NOW)
    )
    assert claims["iss"] == public_key(operator) and claims["sub"] == public_key(account)
    nats = claims["nats"]
    assert nats["type"] == "account"
    assert nats["signing_keys"] == [public_key(signing)]
    assert nats["limits"]["disk_storage"] != 0 and nats["limits"]["mem_storage"] != 0
    own = decode(operator_jwt(operator, "op", public_key(account), now=int(time.time())))
    assert own["iss"] == own["sub"] == public_key(operator)
    assert own["nats"] == {"system_account": public_key(account), "type": "operator", "version": 2}
    system = decode(account_jwt(operator, public_key(account), "SYS", (), now=NOW, jetstream=False))
    assert "disk_storage" not in system["nats"]["limits"]


def test_the_creds_file_holds_the_jwt_and_the_seed_between_their_markers() -> None:
    seed = new_seed(KeyKind.USER)
    text = creds("header.claims.signature", seed)
    lines = text.splitlines()
    assert lines[lines.index("-----BEGIN NATS USER JWT-----") + 1] == "header.claims.signature"
    assert lines[lines.index("-----BEGIN USER NKEY SEED-----") + 1] == seed
    assert "------END NATS USER JWT------" in lines and "------END USER NKEY SEED------" in lines

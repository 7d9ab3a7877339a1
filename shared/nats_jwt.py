"""NATS's decentralized auth, written out: nkeys, the operator, account and user JWTs,
and the `.creds` file a client connects with.

No maintained Python library writes NATS JWTs (nats-io's own are in Go and JavaScript),
so the encoding is here, in the shape of nats-io/jwt v2, and nats-server itself checks
what this module signs (tests/integration/test_nats_identities.py). A JWT is
`base64url(header).base64url(claims).base64url(signature)`, unpadded; the header is
`{"typ":"JWT","alg":"ed25519-nkey"}`; the claims are the standard ones (`jti` a hash
of them, `iat`, `iss`, `name`, `sub`, `exp`) with the kind's own under `nats`, which
names its `type` and `version: 2`; the signature is the issuer nkey's Ed25519
signature of the first two parts.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import nacl.signing
import nkeys

UNLIMITED = -1
_HEADER = {"typ": "JWT", "alg": "ed25519-nkey"}


class KeyKind(enum.Enum):
    """What an nkey identifies; its public key starts with the letter of its kind."""

    OPERATOR = nkeys.PREFIX_BYTE_OPERATOR
    ACCOUNT = nkeys.PREFIX_BYTE_ACCOUNT
    USER = nkeys.PREFIX_BYTE_USER


def new_seed(kind: KeyKind) -> str:
    """A new nkey's seed (`SO…`, `SA…`, `SU…`): the secret its public key comes from."""
    seed: bytes = nkeys.encode_seed(secrets.token_bytes(32), kind.value)
    return seed.decode()


def public_key(seed: str) -> str:
    key: bytes = nkeys.from_seed(seed.encode()).public_key
    return key.decode()


def kind_of(seed: str) -> KeyKind:
    """The kind of key a seed is for; ValueError for what is not a seed."""
    try:
        prefix, _ = nkeys.decode_seed(seed.encode())
    except Exception as e:  # nkeys raises its own classes, renamed between releases
        raise ValueError("not an nkey seed") from e
    return KeyKind(prefix)


@dataclass(frozen=True)
class Permissions:
    """The subjects a user may publish to and subscribe to, as nats-server matches them
    (`*` one token, `>` the rest). Empty means none: a JWT without an allow list would
    allow everything, so nothing is written as a deny of `>`."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]

    def claims(self) -> dict[str, Any]:
        return {"pub": _permission(self.publish), "sub": _permission(self.subscribe)}


def _permission(subjects: tuple[str, ...]) -> dict[str, list[str]]:
    return {"allow": list(subjects)} if subjects else {"deny": [">"]}


def operator_jwt(operator_seed: str, name: str, system_account: str, *, now: int) -> str:
    """The operator's own JWT, signed by itself: what nats-server is told to trust. The
    system account is the server's own (JetStream needs one)."""
    nats = {"system_account": system_account, "type": "operator"}
    return _encode(operator_seed, public_key(operator_seed), name, nats, now)


def account_jwt(
    operator_seed: str,
    account: str,
    name: str,
    signing_keys: tuple[str, ...],
    *,
    now: int,
    jetstream: bool = True,
) -> str:
    """An account with no limits, JetStream on unless told otherwise (storage limits
    other than 0 turn it on), whose users may be signed by any of `signing_keys`."""
    storage = {
        "mem_storage": UNLIMITED,
        "disk_storage": UNLIMITED,
        "streams": UNLIMITED,
        "consumer": UNLIMITED,
    }
    limits = {
        "subs": UNLIMITED,
        "data": UNLIMITED,
        "payload": UNLIMITED,
        "imports": UNLIMITED,
        "exports": UNLIMITED,
        "wildcards": True,
        "conn": UNLIMITED,
        "leaf": UNLIMITED,
        **(storage if jetstream else {}),
    }
    nats = {
        "limits": limits,
        "signing_keys": list(signing_keys),
        "default_permissions": {"pub": {}, "sub": {}},
        "type": "account",
    }
    return _encode(operator_seed, account, name, nats, now)


def user_jwt(
    signing_seed: str,
    account: str,
    user: str,
    name: str,
    permissions: Permissions,
    *,
    now: int,
    expires: int | None,
) -> str:
    """A user of `account`, signed by one of its signing keys, allowed `permissions`
    only, refused by nats-server from `expires` (epoch seconds) on, if given."""
    nats = {
        **permissions.claims(),
        "subs": UNLIMITED,
        "data": UNLIMITED,
        "payload": UNLIMITED,
        "issuer_account": account,
        "type": "user",
    }
    return _encode(signing_seed, user, name, nats, now, expires)


def creds(user_jwt: str, user_seed: str) -> str:
    """The `.creds` file: the user's JWT and its seed, as nsc writes it and nats clients
    (nats-py's `user_credentials=`) read it."""
    return (
        "-----BEGIN NATS USER JWT-----\n"
        f"{user_jwt}\n"
        "------END NATS USER JWT------\n\n"
        "************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n"
        "NKEYs are sensitive and should be treated as secrets.\n\n"
        "-----BEGIN USER NKEY SEED-----\n"
        f"{user_seed}\n"
        "------END USER NKEY SEED------\n\n"
        "*************************************************************\n"
    )


def decode(token: str) -> dict[str, Any]:
    """A JWT's claims, once its signature is checked against its own issuer (`iss`):
    whether that issuer is trusted is nats-server's business, not this reader's."""
    header, claims, signature = token.split(".")
    body: dict[str, Any] = json.loads(_unpad(claims))
    # A public nkey is base32 of: its kind's byte, the Ed25519 key, a CRC-16.
    issuer = nacl.signing.VerifyKey(base64.b32decode(body["iss"])[1:33])
    try:
        issuer.verify(f"{header}.{claims}".encode(), _unpad(signature))
    except nacl.exceptions.BadSignatureError:
        raise ValueError("the JWT's signature is not its issuer's") from None
    return body


def _encode(
    issuer_seed: str,
    subject: str,
    name: str,
    nats: dict[str, Any],
    now: int,
    expires: int | None = None,
) -> str:
    signer = nkeys.from_seed(issuer_seed.encode())
    standard: dict[str, Any] = {}
    if expires is not None:
        standard["exp"] = expires
    standard |= {"iat": now, "iss": signer.public_key.decode(), "name": name, "sub": subject}
    # As nats-io/jwt: the id is the SHA-512/256 of the standard claims without it.
    digest = hashlib.new("sha512_256", _json(standard)).digest()
    jti = base64.b32encode(digest).decode().rstrip("=")
    claims = {**standard, "jti": jti, "nats": {**nats, "version": 2}}
    signed = f"{_pad_free(_json(_HEADER))}.{_pad_free(_json(claims))}"
    signature: bytes = signer.sign(signed.encode())
    return f"{signed}.{_pad_free(signature)}"


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _pad_free(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unpad(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

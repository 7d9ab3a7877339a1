"""The keys of a NATS that taskstream secures itself (`taskstream dev`, docker-compose's
`nats-setup`), kept in one directory.

One operator, whose JWT nats-server trusts; one account (`taskstream`) with JetStream
on, preloaded in the server's config (the MEMORY resolver) beside the server's own
system account (JetStream needs one; nobody connects to it); and a signing key of the
`taskstream` account, which signs every user: the services' and subscribers'. A user JWT signed by
it needs no change to the server, so credentials are issued while NATS runs. The
stream lives in the account, under its public key, so the account key is never
rotated; the signing key can be.

The directory (every seed 0600, made on first use and kept):

    operator.nk  system.nk  account.nk  account-signing.nk   seeds (secret)
    account.pub                                   the account's public key
    server.conf                                   nats-server's config (public JWTs)
    creds/<service>.creds                         each service's credentials (secret)

Issuing a user needs only `account-signing.nk` and `account.pub` (`Issuer`), so a
NATS whose operator is managed elsewhere (nsc) can have a directory with those two.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from shared import nats_identities
from shared.nats_jwt import (
    KeyKind,
    Permissions,
    account_jwt,
    creds,
    kind_of,
    new_seed,
    operator_jwt,
    public_key,
    user_jwt,
)

ACCOUNT_NAME = "taskstream"
SIGNING_KEY = "account-signing.nk"
ACCOUNT_KEY = "account.pub"


class MissingIssuer(RuntimeError):
    """The signing key or the account's public key is not where it was looked for."""


@dataclass(frozen=True)
class Issuer:
    """Signs users of one account with one of its signing keys."""

    signing_seed: str
    account: str

    @classmethod
    def load(cls, directory: Path) -> Issuer:
        signing, account = directory / SIGNING_KEY, directory / ACCOUNT_KEY
        for path in (signing, account):
            if not path.is_file():
                raise MissingIssuer(f"{path} not found")
        seed = signing.read_text().strip()
        if kind_of(seed) is not KeyKind.ACCOUNT:
            raise MissingIssuer(f"{signing} does not hold an account signing key (SA…)")
        return cls(seed, account.read_text().strip())

    def issue(
        self, name: str, permissions: Permissions, *, ttl: float | None = None
    ) -> tuple[str, int | None]:
        """A new user's `.creds` text, and when it expires (epoch seconds; None: never)."""
        now = int(time.time())
        expires = None if ttl is None else now + max(1, round(ttl))
        seed = new_seed(KeyKind.USER)
        token = user_jwt(
            self.signing_seed,
            self.account,
            public_key(seed),
            name,
            permissions,
            now=now,
            expires=expires,
        )
        return creds(token, seed), expires


class NatsAuthority:
    def __init__(self, directory: Path) -> None:
        """The keys in `directory`, each made on first use."""
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._operator = _kept_seed(directory / "operator.nk", KeyKind.OPERATOR)
        self._system = public_key(_kept_seed(directory / "system.nk", KeyKind.ACCOUNT))
        self.account = public_key(_kept_seed(directory / "account.nk", KeyKind.ACCOUNT))
        self._signing = _kept_seed(directory / SIGNING_KEY, KeyKind.ACCOUNT)
        _write(directory / ACCOUNT_KEY, self.account + "\n", 0o644)
        self.issuer = Issuer(self._signing, self.account)

    def server_config(self) -> str:
        """nats-server's config: trust the operator, know the account from this file.
        JetStream and the listener are set by the command line."""
        now = int(time.time())
        operator = operator_jwt(self._operator, "taskstream", self._system, now=now)
        account = account_jwt(
            self._operator, self.account, ACCOUNT_NAME, (public_key(self._signing),), now=now
        )
        system = account_jwt(self._operator, self._system, "SYS", (), now=now, jetstream=False)
        return (
            "# Written by taskstream (shared/nats_authority.py); rewritten on each start.\n"
            f"operator: {operator}\n"
            f"system_account: {self._system}\n"
            "resolver: MEMORY\n"
            "resolver_preload: {\n"
            f"  {self.account}: {account}\n"
            f"  {self._system}: {system}\n"
            "}\n"
        )

    def write_server_config(self) -> Path:
        path = self.directory / "server.conf"
        _write(path, self.server_config(), 0o644)
        return path

    def write_credentials(self, name: str, permissions: Permissions) -> Path:
        """A credentials file that never expires, for a service: rewritten, with a
        new user, whenever the stack starts."""
        text, _ = self.issuer.issue(name, permissions)
        path = self.directory / "creds" / f"{name}.creds"
        path.parent.mkdir(exist_ok=True)
        _write(path, text, 0o600)
        return path

    def write_service_credentials(self, stream: str) -> dict[str, Path]:
        return {
            service: self.write_credentials(service, nats_identities.service(service, stream))
            for service in nats_identities.SERVICES
        }


def _kept_seed(path: Path, kind: KeyKind) -> str:
    if path.is_file():
        return path.read_text().strip()
    seed = new_seed(kind)
    _write(path, seed + "\n", 0o600)
    return seed


def write_secret(path: Path, text: str) -> None:
    """`text` in a file only its owner can read, from the moment it exists."""
    _write(path, text, 0o600)


def _write(path: Path, text: str, mode: int) -> None:
    """Written whole under another name, then renamed: a reader never sees half a file,
    and a secret is never readable by others, not even for a moment."""
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.chmod(partial, mode)
    os.replace(partial, path)

"""`taskstream subscriber-credentials`: a tenant's NATS credentials file for a subscriber,
signed with the account's signing key (shared/nats_authority.py), allowed what
shared/nats_identities.py grants a subscriber and nothing else."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from shared.nats_authority import ACCOUNT_KEY, SIGNING_KEY, Issuer, MissingIssuer, write_secret
from shared.nats_identities import SubscriberGrant
from shared.settings import ConfigurationError, Settings

COMMAND = "taskstream subscriber-credentials"


def write_subscriber_credentials(
    settings: Settings, tenant: UUID, name: str, ttl: int, out: str | None
) -> int:
    """Writes the file (`out`, default ./<consumer>.creds; `-`: standard output) and says
    what the subscriber must use with it; 2 for arguments it cannot take."""
    if ttl < 1:
        print(f"{COMMAND}: --ttl must be 1 second or more", file=sys.stderr)
        return 2
    try:
        grant = SubscriberGrant.of(settings.nats_stream, tenant, name)
    except ValueError as e:
        print(f"{COMMAND}: {e}", file=sys.stderr)
        return 2
    text, expires = _issuer(settings).issue(
        f"subscriber {grant.consumer}", grant.permissions(), ttl=ttl
    )
    target = out or f"{grant.consumer}.creds"
    if target == "-":
        sys.stdout.write(text)
    else:
        write_secret(Path(target), text)
    assert expires is not None  # a ttl was given
    until = datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds")
    print(
        f"wrote {'the credentials' if target == '-' else target}: NATS credentials for "
        f"tenant {grant.tenant}, valid until {until}\n"
        f"  stream          {grant.stream}\n"
        f"  consumer        {grant.consumer}  (durable name: the only one they may use)\n"
        f"  filter subject  {grant.filter_subject}  (or narrower)\n"
        f"  inbox prefix    {grant.inbox_prefix}  (nats.connect(inbox_prefix=...))",
        file=sys.stderr if target == "-" else sys.stdout,
    )
    return 0


def _issuer(settings: Settings) -> Issuer:
    try:
        return Issuer.load(settings.nats_auth_directory())
    except MissingIssuer as e:
        raise ConfigurationError(
            f"{e}: set TASKSTREAM_NATS_AUTH_DIR to the directory with the NATS account's "
            f"signing key ({SIGNING_KEY}) and public key ({ACCOUNT_KEY}); `taskstream dev` "
            "keeps one in TASKSTREAM_DATA_DIR/nats-auth, `taskstream nats-setup` writes one"
        ) from None

"""Who may do what on NATS: the subscriber's grant is its tenant's and its consumer's
alone; no service but the command service may publish events."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import pytest

from services.cli import main
from shared import nats_identities
from shared.nats_authority import Issuer, MissingIssuer, NatsAuthority
from shared.nats_identities import SubscriberGrant
from shared.nats_jwt import decode
from shared.settings import ConfigurationError, Settings

TENANT = UUID("6f1e2c3a-0b4d-4e5f-8a9b-0c1d2e3f4a5b")


def test_a_subscriber_may_touch_only_its_own_consumer_on_its_tenants_events() -> None:
    grant = SubscriberGrant.of("TASKSTREAM", TENANT, "billing")
    assert grant.consumer == f"billing-{TENANT}"
    assert grant.filter_subject == f"taskstream.events.{TENANT}.>"
    allowed = grant.permissions()
    assert allowed.publish == (
        f"$JS.API.CONSUMER.CREATE.TASKSTREAM.{grant.consumer}.taskstream.events.{TENANT}.>",
        f"$JS.API.CONSUMER.INFO.TASKSTREAM.{grant.consumer}",
        f"$JS.API.CONSUMER.DELETE.TASKSTREAM.{grant.consumer}",
        f"$JS.API.CONSUMER.MSG.NEXT.TASKSTREAM.{grant.consumer}",
        f"$JS.ACK.TASKSTREAM.{grant.consumer}.>",
    )
    assert allowed.subscribe == (f"_INBOX.{grant.consumer}.>",)
    for subject in allowed.publish:
        assert not subject.startswith("taskstream.events")
        assert ".*" not in subject and "DURABLE" not in subject


def test_two_tenants_subscribers_of_one_name_have_different_consumers() -> None:
    first = SubscriberGrant.of("TASKSTREAM", uuid4(), "billing")
    second = SubscriberGrant.of("TASKSTREAM", uuid4(), "billing")
    assert first.consumer != second.consumer
    assert not set(first.permissions().publish) & set(second.permissions().publish)


@pytest.mark.parametrize("name", ["", "a.b", "a*", "a>", "has space", "x" * 65])
def test_a_name_that_cannot_be_one_token_of_a_subject_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="letters, digits"):
        SubscriberGrant.of("TASKSTREAM", TENANT, name)


def test_only_the_command_service_may_publish_events_or_declare_the_stream() -> None:
    for service in nats_identities.SERVICES:
        publish = nats_identities.service(service, "TASKSTREAM").publish
        writes = [s for s in publish if s.startswith("taskstream.") or ".STREAM.CREATE." in s]
        assert bool(writes) == (service == "command"), service
        assert not [s for s in publish if "DELETE.TASKSTREAM" in s and "CONSUMER" not in s]
        assert not [s for s in publish if "PURGE" in s]


def test_the_authority_keeps_its_keys_private_and_the_same_across_starts(tmp_path: Path) -> None:
    first = NatsAuthority(tmp_path)
    again = NatsAuthority(tmp_path)
    assert first.account == again.account
    for seed in ("operator.nk", "system.nk", "account.nk", "account-signing.nk"):
        assert (tmp_path / seed).stat().st_mode & 0o777 == 0o600
    for service, path in first.write_service_credentials("TASKSTREAM").items():
        assert path.stat().st_mode & 0o777 == 0o600, service
    config = first.server_config()
    assert "resolver: MEMORY" in config and first.account in config
    for seed in ("operator.nk", "system.nk", "account.nk", "account-signing.nk"):
        assert (tmp_path / seed).read_text().strip() not in config


def test_an_issuer_signs_users_of_its_account(tmp_path: Path) -> None:
    authority = NatsAuthority(tmp_path)
    text, expires = Issuer.load(tmp_path).issue("s", nats_identities.query("S"), ttl=60)
    token = text.splitlines()[1]
    claims = decode(token)
    assert claims["nats"]["issuer_account"] == authority.account
    assert expires is not None and claims["exp"] == expires


def test_an_issuer_is_looked_for_where_it_is_said_to_be(tmp_path: Path) -> None:
    with pytest.raises(MissingIssuer, match=r"account-signing\.nk not found"):
        Issuer.load(tmp_path)
    NatsAuthority(tmp_path)
    (tmp_path / "account-signing.nk").write_text((tmp_path / "operator.nk").read_text())
    with pytest.raises(MissingIssuer, match="not hold an account signing key"):
        Issuer.load(tmp_path)


def test_subscriber_credentials_without_keys_name_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TASKSTREAM_DATA_DIR", str(tmp_path))
    code = main(["subscriber-credentials", "--tenant", str(TENANT), "--name", "billing"])
    assert code == 2
    said = capsys.readouterr().err
    assert "TASKSTREAM_NATS_AUTH_DIR" in said and "TASKSTREAM_DATA_DIR" in said


def test_subscriber_credentials_are_written_for_the_owner_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    NatsAuthority(tmp_path / "keys")
    monkeypatch.setenv("TASKSTREAM_NATS_AUTH_DIR", str(tmp_path / "keys"))
    out = tmp_path / "billing.creds"
    args = ["subscriber-credentials", "--tenant", str(TENANT), "--name", "billing"]
    assert main([*args, "--ttl", "120", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"billing-{TENANT}" in said and f"_INBOX.billing-{TENANT}" in said
    assert out.stat().st_mode & 0o777 == 0o600
    claims = decode(out.read_text().splitlines()[1])
    assert claims["nats"]["pub"]["allow"][0].endswith(f".taskstream.events.{TENANT}.>")
    assert 119 <= claims["exp"] - claims["iat"] <= 121
    assert main([*args, "--ttl", "0"]) == 2


def test_nats_credentials_come_from_one_setting_or_the_other(tmp_path: Path) -> None:
    creds = tmp_path / "service.creds"
    creds.write_text("x")
    assert Settings(nats_creds=creds).nats_credentials().creds_file == creds
    assert Settings().nats_credentials().options() == {}
    with_password = Settings(nats_user="svc", nats_password="pw")  # type: ignore[arg-type]
    assert with_password.nats_credentials().options() == {"user": "svc", "password": "pw"}
    for wrong, said in (
        (Settings(nats_creds=tmp_path / "missing.creds"), "TASKSTREAM_NATS_CREDS"),
        (Settings(nats_user="svc"), "TASKSTREAM_NATS_PASSWORD"),
        (Settings(nats_creds=creds, nats_user="svc"), "not both"),
    ):
        with pytest.raises(ConfigurationError, match=said):
            wrong.nats_credentials()

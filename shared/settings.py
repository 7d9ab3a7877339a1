"""Configuration from the environment, read once by each composition root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.fast_paths import FastPath, parse_off

if TYPE_CHECKING:
    from shared.nats import NatsCredentials

NATS_AUTH_DIR = "nats-auth"


class Settings(BaseSettings):
    """Every knob of every service."""

    model_config = SettingsConfigDict(env_prefix="TASKSTREAM_", extra="ignore")

    database_url: str | None = None
    nats_url: str | None = None
    nats_creds: Path | None = None
    """A credentials file (`.creds`: a user JWT and its nkey seed) to connect to NATS with."""
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    nats_auth_dir: Path | None = None
    """Where the keys of a NATS that taskstream secures are kept (shared/nats_authority.py);
    unset: <data_dir>/nats-auth, where `taskstream dev` keeps them."""
    jwt_secret: SecretStr | None = None
    data_dir: Path = Path(".taskstream")
    host: str = "127.0.0.1"
    command_port: int = Field(default=8000, ge=1, le=65535)
    query_port: int = Field(default=8001, ge=1, le=65535)
    nats_stream: str = "TASKSTREAM"
    min_position_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    log_level: str = "INFO"
    command_workers: int = Field(default=2, ge=1, le=64)
    query_workers: int = Field(default=2, ge=1, le=64)
    query_cache_megabytes: int = Field(default=64, ge=0, le=65536)
    database_timeout_seconds: float = Field(default=1.0, gt=0, le=30)
    max_body_bytes: int = Field(default=2**20, ge=1, le=2**31)
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    jwt_leeway_seconds: float = Field(default=30.0, ge=0, le=3600)
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    # A relay that stops renewing its lease loses it this long after its last renewal;
    # with a standby looking every second, publishing resumes within about 11 s.
    relay_lease_seconds: float = Field(default=10.0, ge=1, le=60)
    fast_paths_off: str = ""
    query_public_url: str = ""
    """Where clients read what the command API creates (its 201s' Location); empty:
    http://<host>:<query port>."""
    cors_origins: str = ""
    """Browser origins allowed to call the APIs, comma-separated; a port may be `*`
    (http://localhost:*); `*` alone allows any origin; empty turns CORS off."""
    max_url_bytes: int = Field(default=8192, ge=256, le=65535)
    max_header_bytes: int = Field(default=16384, ge=1024, le=2**20)

    @field_validator("fast_paths_off")
    @classmethod
    def _known_fast_paths(cls, value: str) -> str:
        parse_off(value)
        return value

    def fast(self, path: FastPath) -> bool:
        """Whether `path` is on (every fast path is, unless TASKSTREAM_FAST_PATHS_OFF names it)."""
        return path not in parse_off(self.fast_paths_off)

    @field_validator("jwt_audience", "jwt_issuer")
    @classmethod
    def _unset_when_empty(cls, value: str | None) -> str | None:
        return value or None

    def public_query_url(self) -> str:
        """TASKSTREAM_QUERY_PUBLIC_URL without a trailing slash, or its default."""
        return (self.query_public_url or f"http://{self.host}:{self.query_port}").rstrip("/")

    def require_database_url(self) -> str:
        if not self.database_url:
            raise ConfigurationError(
                "TASKSTREAM_DATABASE_URL is not set: point it at PostgreSQL, "
                "e.g. postgresql://user:password@127.0.0.1:5432/taskstream"
            )
        return self.database_url

    def require_nats_url(self) -> str:
        if not self.nats_url:
            raise ConfigurationError(
                "TASKSTREAM_NATS_URL is not set: point it at a JetStream-enabled "
                "nats-server, e.g. nats://127.0.0.1:4222"
            )
        return self.nats_url

    def nats_credentials(self) -> NatsCredentials:
        """Who the service is to NATS: TASKSTREAM_NATS_CREDS, or TASKSTREAM_NATS_USER with
        TASKSTREAM_NATS_PASSWORD, or nobody (a NATS that lets anyone in)."""
        from shared.nats import ANONYMOUS, NatsCredentials

        if self.nats_creds is not None and self.nats_user:
            raise ConfigurationError(
                "TASKSTREAM_NATS_CREDS and TASKSTREAM_NATS_USER are both set: "
                "connect with a credentials file or with a user and password, not both"
            )
        if self.nats_creds is not None:
            if not os.access(self.nats_creds, os.R_OK) or not self.nats_creds.is_file():
                raise ConfigurationError(
                    f"TASKSTREAM_NATS_CREDS names {self.nats_creds}, which is not a readable "
                    "file: point it at the service's NATS credentials (.creds) file"
                )
            return NatsCredentials(creds_file=self.nats_creds)
        if self.nats_user:
            if self.nats_password is None:
                raise ConfigurationError(
                    "TASKSTREAM_NATS_USER is set without TASKSTREAM_NATS_PASSWORD: set both"
                )
            return NatsCredentials(
                user=self.nats_user, password=self.nats_password.get_secret_value()
            )
        return ANONYMOUS

    def nats_auth_directory(self) -> Path:
        return self.nats_auth_dir or Path(self.data_dir) / NATS_AUTH_DIR

    def require_jwt_secret(self) -> str:
        if self.jwt_secret is None or not self.jwt_secret.get_secret_value():
            raise ConfigurationError(
                "TASKSTREAM_JWT_SECRET is not set: services refuse to start without the "
                "secret that signs tenant tokens (only `taskstream dev` generates one)"
            )
        return self.jwt_secret.get_secret_value()


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def service_environment(**values: object) -> dict[str, str]:
    """This process's environment plus `values`, spelled as the services read them, for
    starting service processes (dev stack, tests, benchmarks). A name that is not a
    setting is refused here rather than silently ignored by the child."""
    unknown = sorted(set(values) - set(Settings.model_fields))
    if unknown:
        raise ConfigurationError(f"not settings: {', '.join(unknown)}; see shared/settings.py")
    return {**os.environ, **{f"TASKSTREAM_{k.upper()}": str(v) for k, v in values.items()}}

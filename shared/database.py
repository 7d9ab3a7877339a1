"""One database URL, translated for each client that needs it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

EVENT_STORE_NAME = "taskstream"
EVENTS_TABLE = f"{EVENT_STORE_NAME}_events"


@dataclass(frozen=True)
class DatabaseAddress:
    """A PostgreSQL address; `host` may be a TCP host or a Unix-socket directory."""

    host: str
    port: int
    dbname: str
    user: str
    password: str

    @classmethod
    def parse(cls, url: str) -> DatabaseAddress:
        parts = urlsplit(url)
        if parts.scheme not in {"postgresql", "postgres", "postgresql+psycopg"}:
            raise ValueError(
                f"database URL must start with postgresql:// (got {parts.scheme!r}://)"
            )
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        dbname = unquote(parts.path.lstrip("/")) or "postgres"
        return cls(
            host=host,
            port=parts.port or int(query.get("port", ["5432"])[0]),
            dbname=dbname,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
        )

    def conninfo(self) -> str:
        """A libpq keyword string, which (unlike a URL) takes a socket directory as host."""
        pairs = {
            "host": self.host,
            "port": str(self.port),
            "dbname": self.dbname,
            "user": self.user,
        }
        if self.password:
            pairs["password"] = self.password
        return " ".join(f"{k}='{_escape(v)}'" for k, v in pairs.items())

    def sqlalchemy_url(self) -> str:
        from sqlalchemy import URL

        url = URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password or None,
            database=self.dbname,
            query={"host": self.host, "port": str(self.port)},
        )
        return url.render_as_string(hide_password=False)

    def eventsourcing_env(
        self, pool_size: int, max_overflow: int, timeout: float = 1.0
    ) -> dict[str, str]:
        """Settings for the `eventsourcing` Application; the tables come from migrations.
        `timeout` bounds the wait for a pooled connection (the library reads it as
        POSTGRES_CONNECT_TIMEOUT, in whole seconds, at least 1)."""
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": str(max_overflow),
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_CONN_MAX_AGE": "600",
            "POSTGRES_CONNECT_TIMEOUT": str(max(1, int(timeout))),
            "CREATE_TABLE": "n",
        }


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")

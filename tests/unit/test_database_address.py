"""Database URLs name a TCP host or a Unix-socket directory."""

from __future__ import annotations

import pytest

from shared.database import DatabaseAddress


def test_tcp_url() -> None:
    address = DatabaseAddress.parse("postgresql://app:s%40cret@db.local:6543/taskstream")
    assert address == DatabaseAddress("db.local", 6543, "taskstream", "app", "s@cret")
    assert "password='s@cret'" in address.conninfo()
    env = address.eventsourcing_env(pool_size=4, max_overflow=6)
    assert env["POSTGRES_HOST"] == "db.local"
    assert env["CREATE_TABLE"] == "n"
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"


def test_unix_socket_url() -> None:
    address = DatabaseAddress.parse("postgresql://me@/taskstream?host=/run/pg&port=5433")
    assert (address.host, address.port, address.user) == ("/run/pg", 5433, "me")
    assert "host='/run/pg'" in address.conninfo()


def test_other_schemes_are_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        DatabaseAddress.parse("mysql://x@y/z")

"""Which relay process is publishing, for tests that freeze or kill the leader.

Each command service runs its relay in a companion process (shared/serving.py); the
one that publishes holds the advisory lock RELAY_LOCK on a PostgreSQL session. The
session's client port, matched against the sockets each relay process holds
(/proc), names the process.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from services.command.relay import RELAY_LOCK
from shared.database import DatabaseAddress
from tests.e2e.conftest import Stack

_HOLDER = """
SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid
"""


def relay_processes(stack: Stack, services: list[str]) -> dict[int, str]:
    """The latest relay process of each command service that has started one: pid ->
    service name."""
    latest = {name: stack.companion_pids(name, "run_relay")[-1:] for name in services}
    return {pids[0]: name for name, pids in latest.items() if pids}


def leading_relay(stack: Stack, services: list[str]) -> int | None:
    """The pid of the relay that holds the lock, among those of `services`; None when
    none of them holds it (between a leader's loss and its successor's next try, or
    while PostgreSQL has not yet ended the session of a relay that died)."""
    with psycopg.connect(DatabaseAddress.parse(stack.database_url).conninfo()) as conn:
        rows = conn.execute(_HOLDER, (RELAY_LOCK >> 32, RELAY_LOCK & 0xFFFF_FFFF)).fetchall()
    if not rows:
        return None
    (port,) = rows[0]
    sockets = _sockets_on_local_port(int(port))
    return next(
        (pid for pid in relay_processes(stack, services) if sockets & _sockets_of(pid)), None
    )


def _sockets_on_local_port(port: int) -> set[int]:
    """Socket inodes of the TCP connections whose local end is `port`."""
    found: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(int(fields[9]))
    return found


def _sockets_of(pid: int) -> set[int]:
    inodes: set[int] = set()
    fds = Path(f"/proc/{pid}/fd")
    try:
        names = os.listdir(fds)
    except FileNotFoundError:
        return inodes
    for name in names:
        try:
            target = os.readlink(fds / name)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes

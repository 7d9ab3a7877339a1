"""Which relay process is publishing, for tests that freeze or kill the leader.

Each command service runs its relay in a companion process (shared/serving.py); the
one that publishes holds the stream's row in `relay_lease`, unexpired, under a holder
name that carries its process id (services/command/publishing/lease.py).
"""

from __future__ import annotations

import psycopg

from shared.database import DatabaseAddress
from tests.e2e.conftest import Stack

_HOLDER = "SELECT holder FROM relay_lease WHERE expires_at > now()"


def relay_processes(stack: Stack, services: list[str]) -> dict[int, str]:
    """The latest relay process of each command service that has started one: pid ->
    service name."""
    latest = {name: stack.companion_pids(name, "run_relay")[-1:] for name in services}
    return {pids[0]: name for name, pids in latest.items() if pids}


def leading_relay(stack: Stack, services: list[str]) -> int | None:
    """The pid of the relay that holds an unexpired lease, among those of `services`;
    None when none of them does (between a leader's loss and its successor's next look)."""
    with psycopg.connect(DatabaseAddress.parse(stack.database_url).conninfo()) as conn:
        rows = conn.execute(_HOLDER).fetchall()
    holders = {int(str(holder).split("/")[1]) for (holder,) in rows}
    return next((pid for pid in relay_processes(stack, services) if pid in holders), None)

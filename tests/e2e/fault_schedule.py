"""The faults of issue 16's acceptance test, each at its time beside the load: the
leading relay killed, the next leader frozen for 20 s, nats-server restarted,
PostgreSQL restarted. Each fault is marked on a timeline (monotonic time, to compare
with the load's answers, and wall time, to compare with JetStream's timestamps).

Servers are restarted from `restarter`, a thread that must outlive them: the
parent-death signal they are started with (shared/lifetime.py) fires when the thread
that started them ends, and asyncio's own worker threads end with its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from tests.e2e.conftest import Stack
from tests.e2e.relays import leading_relay, relay_processes
from tests.support import eventually, until

T = TypeVar("T")
KILL_AT = 2.0
FREEZE_AT = 6.0
FREEZE_SECONDS = 20.0
NATS_AT = 29.0
POSTGRES_AT = 34.0
OUTAGE_SECONDS = 2.0
# A leader must be found this soon after the previous one was lost: a lease of 15 s
# , and the standby's next try of the lock.
LEADER_WITHIN = 20.0


async def leader(stack: Stack, services: list[str]) -> int:
    """The pid of the leading relay, waited for as long as a standby may take."""
    return await eventually(
        lambda: asyncio.to_thread(leading_relay, stack, services),
        within=LEADER_WITHIN,
        what=f"a live relay of {', '.join(services)} holding the relay lock",
        every=0.1,
    )


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    marks: dict[str, tuple[float, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def mark(self, name: str) -> None:
        self.marks[name] = (time.monotonic(), time.time())

    def at(self, name: str) -> float:
        """Seconds from the start to the mark."""
        return self.marks[name][0] - self.started


@dataclass
class Faults:
    stack: Stack
    postgres: EmbeddedPostgres
    nats: EmbeddedNats
    services: list[str]
    """The command services, each with its relay."""
    timeline: Timeline
    restarter: ThreadPoolExecutor

    async def run(self, killed_service: str) -> None:
        await self._until(KILL_AT)
        recovered = asyncio.create_task(self.kill_leader(killed_service))
        await self._until(FREEZE_AT)
        await self.freeze_leader(FREEZE_SECONDS)
        await recovered
        await self._until(NATS_AT)
        self.timeline.mark("nats down")
        await self._in_restarter(self.nats.stop)
        await asyncio.sleep(OUTAGE_SECONDS)
        await self._in_restarter(self.nats.start)
        self.timeline.mark("nats up")
        await self._until(POSTGRES_AT)
        self.timeline.mark("postgres down")
        await self._in_restarter(self.postgres.crash)
        await asyncio.sleep(OUTAGE_SECONDS)
        await self._in_restarter(self.postgres.start)
        self.timeline.mark("postgres up")

    async def kill_leader(self, service: str) -> None:
        """SIGKILL to the leading relay, which must be `service`'s (the load goes to the
        other one); then `service` is let to do what it does about it: stop, and be
        restarted as a deployment would, or restart its relay itself. The next leader
        is frozen meanwhile."""
        pid = await leader(self.stack, self.services)
        leading = relay_processes(self.stack, self.services)[pid]
        if leading != service:
            raise AssertionError(
                f"the relay of {leading}, not {service}, led before any relay fault: "
                "leadership moved by itself"
            )
        os.kill(pid, signal.SIGKILL)
        self.timeline.mark("relay killed")
        self.timeline.notes.append(
            f"killed the leading relay (pid {pid}, of {service}); "
            + await self._in_restarter(lambda: self._recover(service, pid))
        )

    def _recover(self, service: str, killed: int) -> str:

        def recovered() -> str | None:
            code = self.stack.processes[service].poll()
            if code is not None:
                self.stack.start(service)
                return f"{service} stopped (exit code {code}) and was started again"
            if self.stack.companion_pid(service, "run_relay") != killed:
                return f"{service} started a new relay itself"
            return None

        return until(
            recovered,
            within=30,
            what=f"{service} stopping or replacing its dead relay (else it runs without one)",
            every=0.1,
        )

    async def freeze_leader(self, seconds: float) -> None:
        pid = await leader(self.stack, self.services)
        service = relay_processes(self.stack, self.services)[pid]
        os.kill(pid, signal.SIGSTOP)
        self.timeline.mark("relay frozen")
        try:
            await asyncio.sleep(seconds)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
            self.timeline.mark("relay thawed")
        self.timeline.notes.append(f"froze the leading relay (pid {pid}, of {service})")

    async def _in_restarter(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.restarter, call)

    async def _until(self, offset: float) -> None:
        await asyncio.sleep(max(self.timeline.started + offset - time.monotonic(), 0))

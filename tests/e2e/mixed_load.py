"""A steady, bounded load of every kind of command for several tenants, with a trickle
of reads, recording every answer.

Requests leave at a fixed rate whatever the answers (open loop), with at most
`in_flight` outstanding: a stack that answers slowly makes the rate fall, which the
caller sees in `rate()`. Each tenant's objects are tracked from the answers, so
commands name live objects; a 404 can still come from a race with a delete (a task
created in a project being deleted), never from anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.tokens import issue_token
from tests.e2e.command_mix import CommandMix, TenantModel

API = "/api/v1"
CONNECTIONS = 4
"""Per httpx client."""
TIMEOUT = 10.0
"""A request not answered by then counts as no answer."""


@dataclass(frozen=True)
class Answer:
    """One request and what came back; `status` None means no answer at all."""

    kind: str
    method: str
    path: str
    tenant: UUID
    started: float
    ended: float
    status: int | None
    position: int | None = None
    created: str | None = None
    content_type: str = ""
    retry_after: str | None = None
    detail: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.kind != "read"

    def describe(self) -> str:
        answer = "no answer" if self.status is None else str(self.status)
        return f"{self.method} {self.path} -> {answer} {self.detail[:200]}".strip()


class MixedLoad:
    def __init__(
        self, command_url: str, query_url: str, secret: str, tenants: int = 3, seed: int = 16
    ) -> None:
        self._command_url = command_url
        self._query_url = query_url
        self.tenants = [
            TenantModel(t, issue_token(secret, t, 3600, "fault-load"))
            for t in (uuid4() for _ in range(tenants))
        ]
        self.answers: list[Answer] = []
        self.sent = 0
        self.last_position = 0
        """The highest position an acknowledged command answered."""
        self._rng = random.Random(seed)
        self._mix = CommandMix(self._rng)
        self._started = self._stopped = 0.0
        self.saturated = 0.0
        """Seconds the load waited for an answer to free one of its slots."""

    def rate(self) -> float:
        """Commands sent per second while the load ran."""
        return self.sent / max(self._stopped - self._started, 1e-9)

    def live_project(self, index: int) -> tuple[UUID, str] | None:
        """A project of the `index`-th tenant (round robin) that the API acknowledged."""
        tenant = self.tenants[index % len(self.tenants)]
        if not tenant.projects:
            return None
        return tenant.id, self._rng.choice(list(tenant.projects))

    async def run(self, seconds: float, rate: float, reads: float, in_flight: int = 128) -> None:
        """Commands at `rate` per second and reads at `reads` per second for `seconds`.

        httpx's cost per request grows with the connections of a client (2-3 ms at 32 or
        more here, against 1 ms at 4), so the commands go through many small clients:
        each slot is one connection of one of them, and a request takes a free slot."""
        slots: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(_client(self._command_url))
                for _ in range(in_flight // CONNECTIONS)
            ]
            for _ in range(CONNECTIONS):
                for client in clients:
                    slots.put_nowait(client)
            # Reads are few, and never wait for a connection: all that can be outstanding
            # within the timeout have one.
            queries = await stack.enter_async_context(
                _client(self._query_url, int(reads * TIMEOUT) + 1)
            )
            tasks = await stack.enter_async_context(asyncio.TaskGroup())
            self._started = next_read = time.monotonic()
            while (now := time.monotonic()) < self._started + seconds:
                if now >= next_read:
                    tasks.create_task(self._read(queries))
                    next_read += 1 / reads
                if self.sent >= (now - self._started) * rate:
                    await asyncio.sleep(0.002)
                    continue
                client = await slots.get()
                self.saturated += time.monotonic() - now
                tasks.create_task(self._bounded(slots, client))
                self.sent += 1
            self._stopped = time.monotonic()

    async def _bounded(
        self, slots: asyncio.Queue[httpx.AsyncClient], client: httpx.AsyncClient
    ) -> None:
        try:
            await self._command(client)
        finally:
            slots.put_nowait(client)

    async def _command(self, http: httpx.AsyncClient) -> None:
        tenant = self._rng.choice(self.tenants)
        kind, method, path, body, learn = self._mix.next(tenant)
        answer = await self._send(http, tenant, kind, method, path, body)
        if answer[1] is not None and answer[1].is_success:
            learn(answer[1])

    async def _read(self, http: httpx.AsyncClient) -> None:
        tenant = self._rng.choice(self.tenants)
        path = "/projects?limit=20"
        if tenant.projects and self._rng.random() < 0.5:
            path = f"/projects/{self._rng.choice(list(tenant.projects))}"
        await self._send(http, tenant, "read", "GET", path, None)

    async def _send(
        self,
        http: httpx.AsyncClient,
        tenant: TenantModel,
        kind: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
    ) -> tuple[Answer, httpx.Response | None]:
        headers = {"X-Tenant-Token": tenant.token}
        started = time.monotonic()
        try:
            response = await http.request(method, API + path, json=body, headers=headers)
        except httpx.HTTPError as e:
            lost = Answer(
                kind, method, path, tenant.id, started, time.monotonic(), None, detail=repr(e)
            )
            self.answers.append(lost)
            return lost, None
        position = response.headers.get("X-Event-Position")
        answer = Answer(
            kind,
            method,
            path,
            tenant.id,
            started,
            time.monotonic(),
            response.status_code,
            position=int(position) if position and position.isdecimal() else None,
            created=response.json().get("id") if response.status_code == 201 else None,
            content_type=response.headers.get("Content-Type", ""),
            retry_after=response.headers.get("Retry-After"),
            detail="" if response.is_success else response.text,
        )
        self.answers.append(answer)
        if answer.acknowledged and answer.position is not None:
            self.last_position = max(self.last_position, answer.position)
        return answer, response


def _client(url: str, connections: int = CONNECTIONS) -> httpx.AsyncClient:
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout, or a request
    # may go out on one that the server is closing at that moment.
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2
    )
    return httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits)

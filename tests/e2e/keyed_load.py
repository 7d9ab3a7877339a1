"""Load that survives crashes, and the check that a crash lost and doubled nothing.

Clients do what the API asks of them: a command that got no answer, or a 503, is
sent again with the same Idempotency-Key until it is answered 201.
"""

from __future__ import annotations

import asyncio
import threading
from uuid import uuid4

import httpx

from shared.tokens import issue_token
from tests.conftest import JWT_SECRET
from tests.e2e.client import read_past_503
from tests.e2e.conftest import Stack
from tests.support import published_event, read_model, rebuilt_read_model, stream_messages, until


class KeyedLoad:
    def __init__(self, stack: Stack, clients: int = 4, per_client: int = 40) -> None:
        self.stack = stack
        self.token = issue_token(JWT_SECRET, uuid4(), 600, "tester")
        self.expected = clients * per_client
        self.made: list[dict[str, str]] = []
        self.troubles: list[str] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._client, args=(i, per_client)) for i in range(clients)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wait_for(self, answered: int) -> None:
        until(lambda: len(self.made) >= answered, within=60, what=f"{answered} commands answered")

    def finish(self) -> list[dict[str, str]]:
        for thread in self._threads:
            thread.join(timeout=180)
        assert len(self.made) == self.expected
        assert self.troubles, "the crash should have been felt by the clients"
        return self.made

    def _client(self, index: int, count: int) -> None:
        with httpx.Client(timeout=10) as http:
            for n in range(count):
                project = self._send_until_answered(http, index * 1000 + n)
                with self._lock:
                    self.made.append(project)

    def _send_until_answered(self, http: httpx.Client, n: int) -> dict[str, str]:
        headers = {"X-Tenant-Token": self.token, "Idempotency-Key": str(uuid4())}

        def send() -> dict[str, str] | None:
            try:
                answer = http.post(
                    f"{self.stack.command_url}/api/v1/projects",
                    json={"name": f"project {n}"},
                    headers=headers,
                )
            except httpx.TransportError as e:
                self.troubles.append(repr(e))
                return None
            if answer.status_code == 201:
                return {"id": answer.json()["id"], "position": answer.headers["X-Event-Position"]}
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "1"
            self.troubles.append(str(answer.status_code))
            return None

        return until(send, within=120, what=f"an answer to command {n}", every=0.2)


def assert_exactly_once(stack: Stack, load: KeyedLoad) -> None:
    """Every acknowledged project is in the read model and the stream exactly once, no
    service died, and the read model equals a fresh rebuild."""
    last = max(int(p["position"]) for p in load.made)
    listed = [item["id"] for item in _all_projects(stack, load.token, last)]
    assert sorted(listed) == sorted(p["id"] for p in load.made)

    published = asyncio.run(stream_messages(stack.nats_url, credentials=stack.nats_admin))
    positions = [published_event(m.data).position for m in published]
    assert positions == sorted({int(p["position"]) for p in load.made})
    assert not stack.dead(), f"services died (exit codes): {stack.dead()}"

    projected = read_model(stack.database_url)
    assert rebuilt_read_model(stack.database_url) == projected, (
        "the read model differs from a rebuild"
    )


def _all_projects(stack: Stack, token: str, position: int) -> list[dict[str, str]]:
    """Every page of the tenant's projects, read once the read model has `position`."""
    headers = {"X-Tenant-Token": token, "X-Min-Position": str(position)}
    items: list[dict[str, str]] = []
    params: dict[str, str | int] = {"limit": 200}
    with httpx.Client(timeout=10) as http:
        while True:
            answer = read_past_503(
                lambda: http.get(
                    f"{stack.query_url}/api/v1/projects", params=params, headers=headers
                ),
                within=60,
            )
            assert answer.status_code == 200, answer.text
            page = answer.json()
            items.extend(page["items"])
            if page["next_cursor"] is None:
                return items
            params["cursor"] = page["next_cursor"]

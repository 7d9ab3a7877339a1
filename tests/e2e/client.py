"""A tenant's view of the running command and query APIs, for end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import httpx

from shared.tokens import issue_token
from tests.e2e.conftest import Stack
from tests.support import until

# One client for every call: a new httpx client per request builds a TLS context each
# time, which made end-to-end tests spend most of their time on it.
HTTP = httpx.Client(timeout=30)


def read_past_503(read: Callable[[], httpx.Response], *, within: float) -> httpx.Response:
    """The first answer of `read` that is not a 503: a read at an X-Min-Position the read
    model has not reached yet, asked again (each try waits the service's own bound)."""

    def answered() -> httpx.Response | None:
        answer = read()
        return None if answer.status_code == 503 else answer

    return until(answered, within=within, what="an answer other than 503", every=0.0)


@dataclass
class Tenant:
    stack: Stack
    id: UUID = field(default_factory=uuid4)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Tenant-Token": issue_token(self.stack.secret, self.id, 600, "e2e")}

    def command(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return HTTP.request(
            method, f"{self.stack.command_url}/api/v1{path}", headers=headers, **kwargs
        )

    def query(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return HTTP.get(f"{self.stack.query_url}/api/v1{path}", headers=headers, **kwargs)

    def project(self, name: str = "Launch") -> dict[str, Any]:
        answer = self.command("POST", "/projects", json={"name": name})
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def task(self, project_id: str, title: str = "Write", **fields: Any) -> dict[str, Any]:
        answer = self.command(
            "POST", f"/projects/{project_id}/tasks", json={"title": title, **fields}
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def tag(self, name: str, color: str | None = None) -> dict[str, Any]:
        answer = self.command("POST", "/tags", json={"name": name, "color": color})
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

"""A tenant that reads its own writes on the query API, and what the query tests check
its answers with.

Every read sends the last write's X-Event-Position as X-Min-Position: nothing sleeps
or polls.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.client import Tenant

Item = dict[str, Any]
Params = Mapping[str, str | int]
LISTS = ["/projects", "/tasks", "/tags"]
PROBLEM = "application/problem+json"
ROUTES = ["/projects", "/projects/{project}", "/tasks", "/tasks/{task}", "/tags", "/tags/{tag}"]


@dataclass
class Client(Tenant):
    """A tenant that remembers its last write's position and reads at or after it."""

    seen: int = 0

    def command(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = super().command(method, path, **kwargs)
        position = answer.headers.get("X-Event-Position")
        if position is not None:
            self.seen = max(self.seen, int(position))
        return answer

    def read(
        self,
        path: str,
        params: Params | None = None,
        *,
        after: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET on the query API once the read model holds `after` (default: our last write)."""
        wait = self.seen if after is None else after
        answer = self.query(
            path, params=params, headers={"X-Min-Position": str(wait), **(headers or {})}
        )
        if answer.status_code in (200, 304):
            assert int(answer.headers["X-Projection-Position"]) >= wait, answer.headers
            assert answer.headers["ETag"].startswith('"'), answer.headers
        return answer

    def get(self, path: str, params: Params | None = None, *, after: int | None = None) -> Any:
        return ok(self.read(path, params, after=after))

    def ok_command(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = self.command(method, path, **kwargs)
        assert answer.status_code in (200, 201, 204), f"{method} {path}: {answer.text}"
        return answer


def ok(answer: httpx.Response) -> Any:
    request = answer.request
    assert answer.status_code == 200, (
        f"{request.method} {request.url}: {answer.status_code} {answer.text}"
    )
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


def problem(answer: httpx.Response, status: int) -> Item:
    request = answer.request
    assert answer.status_code == status, (
        f"{request.method} {request.url}: {answer.status_code} {answer.text}"
    )
    assert answer.headers["content-type"] == PROBLEM
    body: Item = answer.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def key(item: Mapping[str, Any]) -> tuple[str, str]:
    """The list order: creation time (RFC 3339, comparable as text), then id."""
    return (item["created_at"], item["id"])


def in_order(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=key)


def ids(items: Iterable[Mapping[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def as_read(task: Item) -> Item:
    """A command's Task answer as the query API spells it: tags sorted by lower(name)."""
    tags = sorted(task["tags"], key=lambda t: (t["name"].lower(), t["id"]))
    return {**task, "tags": tags}


def summary(project: Item, task_count: int) -> Item:
    return {k: v for k, v in project.items() if k != "tasks"} | {"task_count": task_count}


def tag_ref(tag: Item) -> Item:
    return {"id": tag["id"], "name": tag["name"], "color": tag["color"]}


def walk(client: Client, path: str, params: Params, limit: int) -> list[Item]:
    """Every page of a list at `limit`, checking the page shape on the way."""
    items: list[Item] = []
    cursor: str | None = None
    for _ in range(1000):
        query = {**params, "limit": limit} | ({"cursor": cursor} if cursor else {})
        page = client.get(path, query)
        assert set(page) == {"items", "next_cursor"}
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(page["items"]) <= limit
            return items
        assert isinstance(cursor, str)
        assert len(page["items"]) == limit, (path, params, page)
    raise AssertionError(f"{path} {params}: more than 1000 pages")


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")

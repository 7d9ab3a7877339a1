"""The query service's answer cache against a real PostgreSQL: a kept answer is
served until a projector notice touches it, and never to another tenant, nor to a
read waiting for a position still to come, nor while notices could be missed.

Rows are changed here without a notice on purpose: an answer that still shows the
old row proves it came from memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID, uuid4

import httpx2
import psycopg
import pytest
from fastapi.testclient import TestClient

from services.query.app import create_app
from services.query.freshness.answers import ResponseCache
from services.query.freshness.watcher import APPLICATION_NAME
from shared.database import DatabaseAddress
from shared.projection_notice import CHANNEL, ProjectionNotice
from shared.settings import Settings
from shared.tokens import issue_token
from tests.conftest import JWT_SECRET
from tests.support import seed_project

TENANT, OTHER = uuid4(), uuid4()


def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within 10 s"
        time.sleep(0.01)


class Reader:
    def __init__(self, client: TestClient, conninfo: str) -> None:
        self.client = client
        self.conninfo = conninfo
        self.cache: ResponseCache = client.app.state.cache  # type: ignore[attr-defined]
        until(lambda: self.cache.live, "the watcher listening")

    def get(
        self, path: str, tenant: UUID = TENANT, headers: dict[str, str] | None = None
    ) -> httpx2.Response:
        token = issue_token(JWT_SECRET, tenant, 600)
        answer: httpx2.Response = self.client.get(
            path, headers={"X-Tenant-Token": token, **(headers or {})}
        )
        return answer

    def sql(self, statement: str, *params: object) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(statement, params)

    def notify(self, notice: ProjectionNotice) -> None:
        self.sql("SELECT pg_notify(%s, %s)", CHANNEL, notice.payload())
        watcher = self.client.app.state.watcher  # type: ignore[attr-defined]
        until(lambda: watcher.position >= notice.position, "the notice's arrival")

    def rename(self, project: UUID, name: str) -> None:
        self.sql(
            "UPDATE projects SET name = %s, revision = revision + 1 WHERE id = %s", name, project
        )


@pytest.fixture
def reader(settings: Settings) -> Iterator[Reader]:
    quick = settings.model_copy(update={"min_position_wait_seconds": 0.3})
    with TestClient(create_app(quick)) as client:
        yield Reader(client, DatabaseAddress.parse(settings.require_database_url()).conninfo())


def name_of(answer: httpx2.Response) -> str:
    assert answer.status_code == 200, answer.text
    return str(answer.json()["name"])


def test_a_kept_answer_is_served_until_a_notice_touches_it(reader: Reader) -> None:
    project, _ = seed_project(reader.conninfo, TENANT, 3)
    view, listing = f"/api/v1/projects/{project}", "/api/v1/projects"
    first = reader.get(view)
    assert name_of(first) == "p"
    reader.get(listing)
    reader.rename(project, "renamed")

    again = reader.get(view)
    assert name_of(again) == "p", "answered from memory"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert reader.cache.hits == 1
    reader.notify(ProjectionNotice.of(1, [OTHER], []))
    assert name_of(reader.get(view)) == "p", "another tenant's change drops nothing"
    reader.notify(ProjectionNotice.of(2, [TENANT], [uuid4()]))
    assert name_of(reader.get(view)) == "p", "another project's change keeps this view"
    assert reader.get(listing).json()["items"][0]["name"] == "renamed", "but drops the list"

    reader.notify(ProjectionNotice.of(3, [TENANT], [project]))
    fresh = reader.get(view)
    assert name_of(fresh) == "renamed"
    assert fresh.headers["X-Projection-Position"] == "3"
    assert fresh.headers["ETag"] != first.headers["ETag"]


def test_a_kept_answer_honours_if_none_match_like_the_routes(reader: Reader) -> None:
    project, _ = seed_project(reader.conninfo, TENANT, 1)
    view = f"/api/v1/projects/{project}"
    etag = reader.get(view).headers["ETag"]
    routed = reader.get(view, headers={"If-None-Match": etag})
    hits = reader.cache.hits
    assert reader.get(view).status_code == 200
    from_memory = reader.get(view, headers={"If-None-Match": etag})
    assert reader.cache.hits == hits + 2
    assert (from_memory.status_code, from_memory.content) == (routed.status_code, b"")
    assert routed.status_code == 304
    assert from_memory.headers["ETag"] == etag
    assert "content-length" not in from_memory.headers or from_memory.headers[
        "content-length"
    ] == routed.headers.get("content-length")


def test_another_tenant_never_gets_a_kept_answer(reader: Reader) -> None:
    project, _ = seed_project(reader.conninfo, TENANT, 2)
    for path in (f"/api/v1/projects/{project}", "/api/v1/projects", "/api/v1/tags"):
        assert reader.get(path).status_code == 200
        assert reader.get(path).status_code == 200
    assert reader.get(f"/api/v1/projects/{project}", OTHER).status_code == 404
    assert reader.get("/api/v1/projects", OTHER).json()["items"] == []
    assert reader.get("/api/v1/tags", OTHER).json()["items"] == []


def test_a_read_waiting_for_a_later_position_is_not_answered_from_memory(
    reader: Reader,
) -> None:
    project, _ = seed_project(reader.conninfo, TENANT, 1)
    view = f"/api/v1/projects/{project}"
    reader.notify(ProjectionNotice.of(10, [OTHER], []))
    assert reader.get(view, headers={"X-Min-Position": "10"}).status_code == 200
    assert reader.get(view, headers={"X-Min-Position": "10"}).status_code == 200
    assert reader.cache.hits == 1
    late = reader.get(view, headers={"X-Min-Position": "11"})
    assert (late.status_code, late.headers["Retry-After"]) == (503, "1")
    assert reader.get(view, headers={"X-Min-Position": "x"}).status_code == 422


def test_reads_that_a_notice_wakes_together_ask_the_database_once(reader: Reader) -> None:
    seed_project(reader.conninfo, TENANT, 2)
    reader.notify(ProjectionNotice.of(20, [OTHER], []))
    watcher = reader.client.app.state.watcher  # type: ignore[attr-defined]
    misses, hits = reader.cache.misses, reader.cache.hits
    with ThreadPoolExecutor(6) as pool:
        waiting = [
            pool.submit(reader.get, "/api/v1/projects", headers={"X-Min-Position": "21"})
            for _ in range(6)
        ]
        until(lambda: watcher.waiting == 6, "six reads waiting for position 21")
        reader.notify(ProjectionNotice.of(21, [TENANT], []))
        answers = [future.result() for future in waiting]
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert {a.headers["X-Projection-Position"] for a in answers} == {"21"}
    assert (reader.cache.misses - misses, reader.cache.hits - hits) == (6, 0)
    assert reader.cache.shared == 5, "one read went to the database, the others shared it"


def test_a_read_waits_its_bound_once_in_all(reader: Reader) -> None:
    watcher = reader.client.app.state.watcher  # type: ignore[attr-defined]
    bounds: list[float] = []
    wait_for = watcher.wait_for

    async def recorded(position: int, timeout: float) -> bool:
        bounds.append(timeout)
        return bool(await wait_for(position, timeout))

    watcher.wait_for = recorded
    late = reader.get("/api/v1/tags", headers={"X-Min-Position": str(watcher.position + 1)})
    assert late.status_code == 503
    assert bounds == [pytest.approx(0.3)], "one wait, of the whole bound, for every layer"


def test_nothing_is_served_from_memory_while_notices_could_be_missed(reader: Reader) -> None:
    project, _ = seed_project(reader.conninfo, TENANT, 1)
    view = f"/api/v1/projects/{project}"
    reader.get(view)
    generation = reader.cache.generation
    reader.rename(project, "changed while not listening")
    reader.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
        APPLICATION_NAME,
    )
    until(
        lambda: reader.cache.live and reader.cache.generation > generation + 1,
        "the watcher listening again",
    )
    assert name_of(reader.get(view)) == "changed while not listening"


def test_kept_documents_are_committed_without_waiting_for_the_disk(reader: Reader) -> None:
    """The query service's only writes are its kept documents, a cache that a read
    rebuilds if a crash lost it (docs/decisions.md), so its sessions commit
    asynchronously."""
    pool = reader.client.app.state.pool  # type: ignore[attr-defined]

    async def setting() -> tuple[str, str]:
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'"
            )
            row = await cur.fetchone()
            return str(row[0]), str(row[1])

    portal = reader.client.portal
    assert portal is not None
    # The test server itself runs without synchronous commits: the session must say so.
    assert portal.call(setting) == ("off", "client")

"""Request metrics on both services' /metrics, through the real processes with two
workers each: counts by route template (never an id), summed over the workers
whichever of them answers the scrape, with no process id in any label."""

from __future__ import annotations

import re
from collections.abc import Iterable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e
STACK_SETTINGS = {"command_workers": 2, "query_workers": 2}
SCRAPES = 6
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
VIEW = "/api/v1/projects/{project_id}"


def samples(url: str) -> list[Sample]:
    """One scrape, on a connection of its own: each may meet another worker."""
    answer = httpx.get(f"{url}/metrics")
    assert answer.status_code == 200
    return [s for family in text_string_to_metric_families(answer.text) for s in family.samples]


def value(found: Iterable[Sample], name: str, **labels: str) -> float:
    return sum(s.value for s in found if s.name == name and labels.items() <= s.labels.items())


def requests(found: Iterable[Sample], **labels: str) -> float:
    return value(found, "http_requests_total", **labels)


def every_scrape(url: str) -> list[list[Sample]]:
    return [samples(url) for _ in range(SCRAPES)]


def test_reads_are_counted_by_route_template_summed_over_the_workers(stack: Stack) -> None:
    tenant = Tenant(stack)
    made = tenant.command("POST", "/projects", json={"name": "counted"})
    path = f"/projects/{made.json()['id']}"
    labels = {"service": "query", "route": VIEW, "method": "GET", "status": "200"}
    before = requests(samples(stack.query_url), **labels)
    position = {"X-Min-Position": made.headers["X-Event-Position"]}
    reads = 25
    for _ in range(reads):
        answer = httpx.get(f"{stack.query_url}/api/v1{path}", headers=tenant.headers | position)
        assert answer.status_code == 200
    for scrape in every_scrape(stack.query_url):
        assert requests(scrape, **labels) == before + reads
        count = value(scrape, "http_request_duration_seconds_count", route=VIEW, method="GET")
        infinite = value(
            scrape, "http_request_duration_seconds_bucket", route=VIEW, method="GET", le="+Inf"
        )
        assert count == infinite >= before + reads
        assert (
            value(
                scrape, "http_request_duration_seconds_bucket", route=VIEW, method="GET", le="0.005"
            )
            <= count
        )


def test_refusals_before_any_route_are_counted_by_template_and_unmatched_paths_as_one(
    stack: Stack,
) -> None:
    tenant = Tenant(stack)
    view = f"{stack.query_url}/api/v1/projects/{tenant.id}"
    unauthenticated = {"service": "query", "route": VIEW, "method": "GET", "status": "401"}
    unmatched = {"service": "query", "route": "unmatched", "method": "GET", "status": "404"}
    too_large = {"service": "command", "route": "/api/v1/projects", "status": "413"}
    before = samples(stack.query_url), samples(stack.command_url)
    assert httpx.get(view).status_code == 401
    assert httpx.get(f"{stack.query_url}/no/such/{tenant.id}").status_code == 404
    large = b'{"name": "' + b"x" * (2 * 2**20) + b'"}'
    refused = httpx.post(
        f"{stack.command_url}/api/v1/projects",
        content=large,
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert refused.status_code == 413
    for query, command in zip(
        every_scrape(stack.query_url), every_scrape(stack.command_url), strict=True
    ):
        assert requests(query, **unauthenticated) == requests(before[0], **unauthenticated) + 1
        assert requests(query, **unmatched) == requests(before[0], **unmatched) + 1
        assert requests(command, **too_large) == requests(before[1], **too_large) + 1


def test_writes_are_counted_and_no_label_carries_an_id_or_a_process(stack: Stack) -> None:
    tenant = Tenant(stack)
    created = {"service": "command", "route": "/api/v1/projects", "method": "POST"}
    earlier = samples(stack.command_url)
    before = requests(earlier, status="201", **created)
    recorded = value(earlier, "taskstream_commands_recorded_total")
    for n in range(5):
        tenant.project(f"p{n}")
    for scrape in every_scrape(stack.command_url) + every_scrape(stack.query_url):
        assert not [s for s in scrape if {"worker", "pid"} & s.labels.keys()]
        assert not [s for s in scrape if any(UUID.search(v) for v in s.labels.values())]
    for scrape in every_scrape(stack.command_url):
        assert requests(scrape, status="201", **created) == before + 5
        assert value(scrape, "taskstream_commands_recorded_total") == recorded + 5

"""One tenant's reads never see, count or page through another's; no token, no read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import uuid4

import pytest

from shared.tokens import issue_token
from tests.e2e.client import HTTP
from tests.e2e.conftest import Stack
from tests.e2e.queries.reader import (
    LISTS,
    ROUTES,
    Client,
    ids,
    in_order,
    ok,
    problem,
    walk,
)

pytestmark = pytest.mark.e2e
ASSIGNEE, DUE_AFTER_ALL = "sam", "2030-02-01"


@dataclass
class Party:
    """A tenant with projects, tags and tagged tasks of its own, each task assigned to
    `ASSIGNEE` and due before `DUE_AFTER_ALL` (every tenant uses the same ones)."""

    client: Client
    refs: dict[str, str]
    lists: dict[str, list[str]]

    @property
    def owns(self) -> set[str]:
        return {i for items in self.lists.values() for i in items}


def party(client: Client, copies: int) -> Party:
    tags = [client.tag(f"mine {i}") for i in range(copies)]
    projects = [client.project("mine") for _ in range(copies)]
    tasks = [
        client.task(
            p["id"],
            "mine",
            tag_ids=[g["id"] for g in tags[: i + 1]],
            assignee=ASSIGNEE,
            due_on=f"2030-01-0{i + 1}",
        )
        for i, p in enumerate(projects)
    ]
    refs = {"project": projects[0]["id"], "task": tasks[0]["id"], "tag": tags[0]["id"]}
    lists = {"/projects": projects, "/tags": tags, "/tasks": tasks}
    return Party(client, refs, {path: ids(in_order(items)) for path, items in lists.items()})


@pytest.fixture(scope="module")
def owner(stack: Stack) -> Party:
    return party(Client(stack), 2)


@pytest.fixture
def intruder(stack: Stack, owner: Party) -> Party:
    """Another tenant, with the same names, whose reads wait for the owner's writes too."""
    return party(Client(stack, seen=owner.client.seen), 1)


@pytest.mark.parametrize("route", ["/projects/{project}", "/tasks/{task}", "/tags/{tag}"])
def test_another_tenants_resource_is_404_exactly_like_a_random_id(
    owner: Party, intruder: Party, route: str
) -> None:
    path = route.format(**owner.refs)
    mine = owner.client.read(path)
    assert ok(mine)["id"] in owner.owns
    me = intruder.client
    assert me.get(route.format(**intruder.refs))["id"] in intruder.owns
    missing = problem(me.read(route.format(project=uuid4(), task=uuid4(), tag=uuid4())), 404)
    assert problem(me.read(path), 404) == missing
    for header in (mine.headers["ETag"], "*"):
        assert problem(me.read(path, headers={"If-None-Match": header}), 404) == missing


# Filter values: "owner" is the owner's id of that kind, "self" the reader's own.
ISOLATED_LISTS: list[tuple[str, dict[str, str]]] = [
    ("/projects", {}),
    ("/tags", {}),
    ("/tasks", {}),
    ("/tasks", {"status": "pending"}),
    ("/tasks", {"project_id": "owner"}),
    ("/tasks", {"tag_id": "owner"}),
    ("/tasks", {"project_id": "owner", "tag_id": "owner"}),
    ("/tasks", {"project_id": "self", "tag_id": "owner"}),
    ("/tasks", {"project_id": "owner", "tag_id": "self"}),
    ("/tasks", {"project_id": "owner", "status": "pending"}),
    ("/tasks", {"tag_id": "owner", "status": "pending"}),
    ("/tasks", {"assignee": ASSIGNEE}),
    ("/tasks", {"due_before": DUE_AFTER_ALL}),
    ("/tasks", {"assignee": ASSIGNEE, "due_before": DUE_AFTER_ALL}),
    ("/tasks", {"assignee": ASSIGNEE, "project_id": "owner"}),
    ("/tasks", {"due_before": DUE_AFTER_ALL, "tag_id": "owner"}),
]


def resolve(filters: Mapping[str, str], reader: Party, owner: Party) -> dict[str, str]:
    whose = {"owner": owner, "self": reader}
    return {
        name: whose[value].refs[name.removesuffix("_id")] if value in whose else value
        for name, value in filters.items()
    }


@pytest.mark.parametrize(("path", "filters"), ISOLATED_LISTS)
def test_lists_never_show_another_tenants_items(
    owner: Party, intruder: Party, path: str, filters: dict[str, str]
) -> None:
    me = intruder.client
    params = resolve(filters, intruder, owner)
    expected = [] if "owner" in filters.values() else intruder.lists[path]
    page = me.get(path, params)
    assert (ids(page["items"]), page["next_cursor"]) == (expected, None)
    assert ids(walk(me, path, params, 1)) == expected
    # The same filters with the owner's own ids do select the owner's items.
    theirs = ids(owner.client.get(path, resolve(filters, owner, owner))["items"])
    assert theirs
    assert set(theirs) <= owner.owns


@pytest.mark.parametrize("path", LISTS)
def test_another_tenants_cursor_never_shows_their_items(
    owner: Party, intruder: Party, path: str
) -> None:
    cursor = owner.client.get(path, {"limit": 1})["next_cursor"]
    assert isinstance(cursor, str)
    # Cursors carry no tenant, so the key simply applies to the reader's own items
    # (here all newer than the owner's); refusing it with a 400 would be fine too.
    answer = intruder.client.read(path, {"cursor": cursor})
    if answer.status_code != 400:
        assert ids(ok(answer)["items"]) == intruder.lists[path]


@pytest.mark.parametrize("route", ROUTES)
def test_a_read_without_a_valid_token_is_a_401_problem(
    stack: Stack, owner: Party, route: str
) -> None:
    url = f"{stack.query_url}/api/v1{route.format(**owner.refs)}"
    tenant = uuid4()
    for headers in (
        {},
        {"X-Tenant-Token": "garbage"},
        {"Authorization": "Bearer x.y.z"},
        {"X-Tenant-Token": issue_token("another-secret-that-is-long-enough-too", tenant, 600)},
        {"X-Tenant-Token": issue_token(stack.secret, tenant, -60)},
    ):
        problem(HTTP.get(url, headers=headers), 401)

"""What a subscriber gets: every message the running stack publishes, live and again by
`taskstream republish`, validates against the schema its `dataschema` names, fetched
from the query API as a subscriber would, formats checked, with no `class_version`."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from services.command.publishing.republish import republish
from shared.database import DatabaseAddress
from shared.event_schemas import ENVELOPE, schema
from shared.events.catalog import EVENT_AGGREGATES
from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack
from tests.support import eventually, schema_validator, stream_messages

pytestmark = pytest.mark.e2e
URN = "urn:taskstream:schema:"


def every_event_type(alice: Tenant) -> int:
    """Records each event type of the catalog through the command API; the last position."""
    first, second = alice.tag("first", "#00aa00")["id"], alice.tag("second")["id"]
    project, other = alice.project("one")["id"], alice.project("two")["id"]
    task = alice.task(project, "write", description="d", tag_ids=[first])["id"]
    edit = {
        "title": "rewrite",
        "description": "é\n🚀",
        "status": "done",
        "project_id": other,
        "due_on": "2027-01-31",
        "assignee": "Zoë",
    }
    answers = [
        alice.command("PATCH", f"/tasks/{task}", json=edit),
        alice.command("PUT", f"/tasks/{task}/tags/{second}"),
        alice.command("DELETE", f"/tasks/{task}/tags/{first}"),
        alice.command("PATCH", f"/projects/{project}", json={"name": "1", "description": "a"}),
        alice.command("PATCH", f"/tags/{first}", json={"name": "First", "color": None}),
        alice.command("DELETE", f"/tasks/{task}"),
        alice.command("DELETE", f"/tags/{second}"),
        alice.command("DELETE", f"/projects/{project}"),
    ]
    assert all(a.status_code < 300 for a in answers), [a.text for a in answers]
    return int(answers[-1].headers["X-Event-Position"])


async def tenant_messages(stack: Stack, alice: Tenant) -> list[dict[str, Any]]:
    messages = await stream_messages(stack.nats_url, credentials=stack.nats_admin)
    bodies = [json.loads(m.data) for m in messages]
    return [b for b in bodies if b["tenantid"] == str(alice.id)]


def served(stack: Stack, urn: str) -> dict[str, Any]:
    """The schema `urn` names, from the query API, without a token."""
    assert urn.startswith(URN), urn
    kind, major = urn.removeprefix(URN).split(":")
    answer = httpx.get(f"{stack.query_url}/api/v1/schemas/{kind}/{major}", timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/schema+json"
    document: dict[str, Any] = answer.json()
    assert document["$id"] == urn
    return document


async def test_every_published_message_validates_against_its_dataschema(stack: Stack) -> None:
    alice = Tenant(stack)
    last = every_event_type(alice)

    async def published() -> list[dict[str, Any]] | None:
        messages = await tenant_messages(stack, alice)
        return messages if messages and messages[-1]["position"] == last else None

    live = await eventually(published, what="the tenant's events on the stream")
    conninfo = DatabaseAddress.parse(stack.database_url).conninfo()
    await republish(
        conninfo, stack.nats_url, "TASKSTREAM", live[0]["position"], credentials=stack.nats_admin
    )
    messages = await tenant_messages(stack, alice)

    assert {m["type"] for m in live} == set(EVENT_AGGREGATES)
    assert [m["position"] for m in messages] == [m["position"] for m in live] * 2
    envelope = schema_validator(schema(ENVELOPE))
    validators = {
        urn: schema_validator(served(stack, urn)) for urn in {m["dataschema"] for m in live}
    }
    for message in messages:
        envelope.validate(message)
        assert "class_version" not in message["data"], message
        validators[message["dataschema"]].validate(message["data"])
        assert message["dataschema"].startswith(f"{URN}{message['type']}:")

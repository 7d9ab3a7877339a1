"""Which stream messages the relay even considers as events when reconciling: the rest
is passed over before the store is asked (services/command/publishing/claims.py)."""

from __future__ import annotations

import orjson
import pytest

from services.command.publishing.claims import claim_of

EVENT = {
    "specversion": "1.0",
    "id": "282274d7-cc18-5669-9a3d-93f3faaed165",
    "source": "taskstream",
    "type": "ProjectCreated",
    "position": 7,
    "tenantid": "7c1f0c2e-3a2b-4f5e-9d6a-1b2c3d4e5f60",
    "aggregateid": "1f0c2e7c-3a2b-4f5e-9d6a-1b2c3d4e5f60",
    "aggregateversion": 1,
    "data": {},
}


def test_an_event_claims_its_position_and_identity() -> None:
    claim = claim_of(12, "taskstream.events.t.project.ProjectCreated", orjson.dumps(EVENT))
    assert claim is not None
    assert (claim.sequence, claim.position, claim.event_id) == (12, 7, EVENT["id"])


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1, 2]",
        orjson.dumps(EVENT | {"source": "elsewhere"}),
        orjson.dumps(EVENT | {"position": True}),
        orjson.dumps(EVENT | {"position": 0}),
        orjson.dumps(EVENT | {"position": 2**63}),
        orjson.dumps(EVENT | {"position": "7"}),
        orjson.dumps(EVENT | {"id": ["a", "list"]}),
        orjson.dumps({k: v for k, v in EVENT.items() if k != "aggregateversion"}),
    ],
    ids=[
        "garbage",
        "not-an-object",
        "foreign-source",
        "bool-position",
        "zero-position",
        "out-of-range",
        "text-position",
        "unhashable-id",
        "missing-field",
    ],
)
def test_anything_else_is_no_claim(data: bytes) -> None:
    assert claim_of(12, "taskstream.events.t.project.ProjectCreated", data) is None

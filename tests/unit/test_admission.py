"""Screening a batch against the store's events: which messages are applied, skipped or
set aside, and why, without servers (the rows are what the store's query returns)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.projector.intake.incoming import Incoming
from services.projector.intake.screening import beyond, claim, screen
from services.projector.intake.store_reads import Row, window_size
from shared.event_ids import event_id_text
from shared.events.identity import Identity

TENANT, OTHER = str(uuid4()), str(uuid4())
TIME = "2026-03-01T00:00:00+00:00"


def row(position: int, aggregate: str, version: int, kind: str = "ProjectRenamed") -> Row:
    """A stored event as the store's query spells it (decoding.EVENT_COLUMNS)."""
    return (position, aggregate, version, kind, TENANT, TIME, None, None, "n", *[None] * 8)


def message(stored: Row, sequence: int, **changes: Any) -> Incoming:
    """The relay's message for a stored event, with any attribute changed."""
    position, aggregate, version, kind, tenant = stored[:5]
    cloudevent = {
        "specversion": "1.0",
        "id": event_id_text(aggregate, version),
        "source": "taskstream",
        "type": kind,
        "tenantid": tenant,
        "position": position,
        "aggregateid": aggregate,
        "aggregateversion": version,
        "time": "2026-03-01T00:00:00.000000Z",
        "data": {"project_id": aggregate, "name": "n"},
    } | changes
    return Incoming(sequence, "taskstream.events.x", orjson.dumps(cloudevent), {})


def verdicts(batch: list[Incoming], after: int, rows: list[Row]) -> list[str]:
    claims = [claim(m) for m in batch]
    screened = screen(batch, claims, after, rows)
    seen = {id(a.message): "applied" for a in screened.admitted}
    seen |= {id(d.message): d.reason for d in screened.set_aside}
    return [seen.get(id(m), "skipped") for m in batch]


P = str(uuid4())
STORE = [row(11, P, 2), row(12, P, 3), row(14, P, 4)]


def test_the_stores_next_events_in_order_are_applied_in_its_version() -> None:
    batch = [message(r, n) for n, r in enumerate(STORE)]
    claims = [claim(m) for m in batch]
    screened = screen(batch, claims, 10, STORE)
    assert [a.position for a in screened.admitted] == [11, 12, 14]
    assert [a.event.version for a in screened.admitted] == [2, 3, 4]
    assert screened.set_aside == []


def test_a_copy_with_other_data_is_applied_as_the_store_holds_it() -> None:
    tampered = message(STORE[0], 1, data={"project_id": P, "name": "pwned"})
    screened = screen([tampered], [claim(tampered)], 10, STORE)
    assert [a.event.data["name"] for a in screened.admitted] == ["n"]


def test_each_attribute_the_store_confirms_must_be_the_stored_events() -> None:
    changed = {
        "id": str(uuid4()),
        "type": "ProjectDeleted",
        "aggregateid": str(uuid4()),
        "aggregateversion": 9,
        "tenantid": OTHER,
    }
    for attribute, value in changed.items():
        [reason] = verdicts([message(STORE[0], 1, **{attribute: value})], 10, STORE)
        assert reason.startswith("not in the event store: the stored event at position 11"), (
            attribute
        )


def test_a_position_the_store_does_not_hold_is_set_aside() -> None:
    [reason] = verdicts([message(STORE[0], 1, position=13)], 10, STORE)
    assert reason == "not in the event store: it holds no event at position 13"


def test_an_event_ahead_of_its_turn_is_set_aside_and_applied_in_its_turn() -> None:
    early = message(STORE[1], 1)
    batch = [early, *(message(r, n) for n, r in enumerate(STORE, start=2))]
    assert verdicts(batch, 10, STORE) == [
        "out of order: the event store holds position 11, not yet applied,"
        " before the claimed position 12",
        "applied",
        "applied",
        "applied",
    ]


def test_an_event_already_applied_is_skipped_whenever_it_comes_again() -> None:
    again = [message(STORE[0], 1), message(STORE[0], 2)]
    assert verdicts(again, 10, STORE) == ["applied", "skipped"]
    assert verdicts([message(STORE[0], 3)], 11, STORE) == ["skipped"]


def test_unreadable_messages_say_why() -> None:
    batch = [
        Incoming(1, "s", b"\x00", {}),
        message(STORE[0], 2, position=2**63),
        message(STORE[0], 3, aggregateversion=True),
        message(STORE[0], 4, aggregateid="A" * 36),
    ]
    reasons = verdicts(batch, 10, STORE)
    assert reasons[0].startswith("body is not JSON")
    assert reasons[1].startswith("position must be an integer from 1 to 2**63 - 1")
    assert reasons[2].startswith("aggregateversion must be an integer")
    assert reasons[3].startswith("aggregateid 'AAAA")


def test_positions_past_a_full_window_are_looked_up() -> None:
    batch = [message(STORE[0], 1), message(STORE[0], 2, position=10**9)]
    claims = [claim(m) for m in batch]
    limit = window_size(claims, 10)
    assert limit == 2
    assert beyond(claims, 10, STORE[:2], limit) == [10**9]
    assert beyond(claims, 10, STORE[:1], limit) == []


# Generation is slow on a busy machine; how many inputs is not the point.
LENIENT = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON_INTEGERS = st.integers(-(2**63), 2**64 - 1)


@LENIENT
@given(st.binary(max_size=300))
def test_any_bytes_give_a_claim_or_a_reason(payload: bytes) -> None:
    assert isinstance(claim(Incoming(1, "s", payload, {})), Identity | str)


@LENIENT
@given(
    st.dictionaries(
        st.sampled_from(["specversion", "source", "type", "id", "position", "data"]),
        st.one_of(st.none(), st.booleans(), JSON_INTEGERS, st.text(), st.lists(JSON_INTEGERS)),
    )
)
def test_any_json_object_gives_a_claim_or_a_reason(changes: dict[str, Any]) -> None:
    assert isinstance(claim(message(STORE[0], 1, **changes)), Identity | str)

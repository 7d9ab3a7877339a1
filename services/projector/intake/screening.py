"""The verdict on each message of a batch, given the event store's events it is checked
against (admission.py reads them): admitted, a duplicate, or set aside with the reason.

A message is admitted only when the store holds its event (same id, position, tenant,
aggregate, version and type) and that event is the store's next one after the tracked
position; what is applied is then the store's version of it, never the message's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from services.projector.intake.dead_letters import DeadLetter
from services.projector.intake.incoming import Incoming
from services.projector.intake.store_reads import Claim, Row
from shared.event_ids import event_id_text
from shared.events.identity import Identity, InvalidEnvelope
from shared.stored_events import decoding


def claim(message: Incoming) -> Claim:
    """The message's identity, or the reason it has none; never raises, whatever the
    bytes: a message that cannot be read is set aside, not retried."""
    try:
        return Identity.from_bytes(message.payload)
    except InvalidEnvelope as e:
        return str(e)
    except Exception as e:  # untrusted bytes: whatever fails is the message's doing
        return f"unreadable message: {e!r}"


class Admitted(NamedTuple):
    message: Incoming
    event: decoding.Stored
    position: int


@dataclass
class Screened:
    admitted: list[Admitted] = field(default_factory=list)
    set_aside: list[DeadLetter] = field(default_factory=list)
    duplicates: int = 0


def beyond(claims: Sequence[Claim], after: int, rows: Sequence[Row], limit: int) -> list[int]:
    """Claimed positions past a full window: the store may hold them (out of order), or
    not (forged); only a look at those positions tells."""
    window = [int(row[0]) for row in rows if int(row[0]) > after]
    if not window or len(window) < limit:
        return []
    end = max(window)
    return sorted({c.position for c in claims if isinstance(c, Identity) and c.position > end})


def screen(
    batch: Sequence[Incoming], claims: Sequence[Claim], after: int, rows: Sequence[Row]
) -> Screened:
    """Each message of the batch, in stream order, admitted, skipped or set aside.
    `rows` holds the store's next events after `after` (the committed position), as
    many as the batch claims positions beyond it, and its events at every other
    position the batch claims (`store_reads.stored_events`, `beyond`)."""
    by_position = {int(row[0]): row for row in rows}
    window = sorted(p for p in by_position if p > after)
    screened = Screened()
    applied, turn = after, 0
    admitted, set_aside = screened.admitted, screened.set_aside
    for message, c in zip(batch, claims, strict=True):
        if isinstance(c, str):
            set_aside.append(DeadLetter(message, c))
            continue
        ident, kind, tenant, position, aggregate, version = c
        row = by_position.get(position)
        # Spelled out: it runs once per message (`_differs` says what differs).
        if (
            row is None
            or row[3] != kind
            or row[1] != aggregate
            or row[2] != version
            or row[4] != tenant
            or event_id_text(aggregate, version) != ident
        ):
            problem = _no_event(c) if row is None else _differs(c, row)
            set_aside.append(
                DeadLetter(message, c.malformed() or f"not in the event store: {problem}")
            )
        elif position <= applied:
            screened.duplicates += 1
        elif window[turn] != position:
            set_aside.append(DeadLetter(message, _out_of_turn(window[turn], c)))
        else:
            admitted.append(Admitted(message, decoding.from_row(row), position))
            applied, turn = position, turn + 1
    return screened


def _differs(c: Identity, row: Row) -> str:
    """What the stored event at the claimed position has other than the claim."""
    _, aggregate_id, version, event_type, tenant_id = row[:5]
    others = [
        name
        for name, same in (
            ("type", event_type == c.type),
            ("aggregate", aggregate_id == c.aggregate_id),
            ("version", version == c.aggregate_version),
            ("tenant", tenant_id == c.tenant_id),
        )
        if not same
    ] or ["id"]
    return (
        f"the stored event at position {c.position} has another {', '.join(others)}"
        f" ({event_type} {version} of {aggregate_id} in tenant {tenant_id})"
    )


def _no_event(c: Identity) -> str:
    return f"it holds no event at position {c.position}"


def _out_of_turn(next_position: int, c: Identity) -> str:
    return (
        f"out of order: the event store holds position {next_position}, not yet applied,"
        f" before the claimed position {c.position}"
    )

"""The event store's events a batch is checked against, as statements of literals only, so
that they can share the batch transaction's first message (admission.py says which)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from shared.database import EVENTS_TABLE
from shared.events.identity import Identity
from shared.stored_events import decoding

Claim = Identity | str
"""What a message claims to be, or why it cannot be read as anything."""
Row = tuple[Any, ...]
"""A stored event as `decoding.EVENT_COLUMNS` spells it, ids as text."""


def window_size(claims: Sequence[Claim], after: int) -> int:
    """How many of the store's next events after `after` the batch can need: one per
    message that claims a position beyond it."""
    return sum(1 for c in claims if isinstance(c, Identity) and c.position > after)


def stored_events(
    claims: Sequence[Claim], after: int, start: sql.Composable | None = None
) -> sql.Composed:
    """The events a batch's claims are checked against (see admission.py):
    the store's next events after `start` (by default `after`, the position the batch
    starts from), as many as the batch claims beyond `after`, and its events at the
    claimed positions at or before `after`. Literals only, so that it can share the
    transaction's first message."""
    window = _window(sql.Literal(after) if start is None else start, window_size(claims, after))
    earlier = _earlier(claims, after)
    return sql.SQL("{} UNION ALL {}").format(window, at_positions(earlier)) if earlier else window


def _window(start: sql.Composable, count: int) -> sql.Composed:
    return sql.SQL(
        "SELECT {columns} FROM (SELECT * FROM {table} WHERE notification_id > {start}"
        " ORDER BY notification_id LIMIT {limit}) e {json}"
    ).format(
        columns=decoding.EVENT_COLUMNS,
        table=sql.Identifier(EVENTS_TABLE),
        start=start,
        limit=sql.Literal(count),
        json=decoding.EVENT_JSON,
    )


def _earlier(claims: Sequence[Claim], after: int) -> list[int]:
    return sorted({c.position for c in claims if isinstance(c, Identity) and c.position <= after})


def at_positions(positions: Sequence[int]) -> sql.Composed:
    """The stored events at these positions (each from 1 to 2**63 - 1)."""
    return sql.SQL(
        "SELECT {columns} FROM {table} e {json}"
        " WHERE e.notification_id = ANY({positions}::bigint[])"
    ).format(
        columns=decoding.EVENT_COLUMNS,
        table=sql.Identifier(EVENTS_TABLE),
        json=decoding.EVENT_JSON,
        positions=sql.Literal(list(positions)),
    )

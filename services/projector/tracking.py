"""The tracked position: how far the read model got, locked and saved with each batch.

Every batch's transaction opens by locking the tracking row (a rebuild may have moved it
past what this process last applied) and closes by saving the new position with the
batch's notice and COMMIT, in one message (shared/transactions.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from shared.projection_notice import CHANNEL, ProjectionNotice
from shared.tracking import TRACKING_NAME


@dataclass(frozen=True)
class Tracking:
    """How far the read model got: the last stream sequence and event position applied."""

    stream_sequence: int
    position: int


TRACKED = sql.SQL("SELECT position FROM projection_tracking WHERE name = {}").format(
    sql.Literal(TRACKING_NAME)
)
LOCK_TRACKING = sql.SQL("{} FOR UPDATE").format(TRACKED)


def committed(row: tuple[object, ...] | None, tracking: Tracking) -> Tracking:
    """The committed position, locked for this transaction: a rebuild may have moved it
    past what this process last applied, and events up to it must then be skipped."""
    position = int(str(row[0])) if row else 0
    return Tracking(tracking.stream_sequence, max(tracking.position, position))


def close(
    tracking: Tracking,
    notice: ProjectionNotice,
    writes: list[sql.Composable],
    *,
    fell_back: bool = False,
) -> sql.Composed:
    """The batch's remaining writes, the position (and, for a batch applied one event at
    a time, one more fallback counted), the notice (sent on commit) and COMMIT."""
    fallbacks = sql.Literal(1 if fell_back else 0)
    save = sql.SQL(
        "INSERT INTO projection_tracking (name, stream_sequence, position, updated_at, fallbacks)"
        " VALUES ({}, {}, {}, now(), {}) ON CONFLICT (name) DO UPDATE"
        " SET stream_sequence = EXCLUDED.stream_sequence,"
        " position = EXCLUDED.position, updated_at = now(),"
        " fallbacks = projection_tracking.fallbacks + EXCLUDED.fallbacks;"
        " SELECT pg_notify({}, {})"
    ).format(
        sql.Literal(TRACKING_NAME),
        sql.Literal(tracking.stream_sequence),
        sql.Literal(tracking.position),
        fallbacks,
        sql.Literal(CHANNEL),
        sql.Literal(notice.payload()),
    )
    return sql.SQL("; ").join([*writes, save, sql.SQL("COMMIT")])

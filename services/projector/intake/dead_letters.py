"""The one way out for a message that cannot be applied: set aside, counted, logged once.

Whatever made it inapplicable (bytes that are not an event, a claim the event store
does not confirm, an event the read tables refuse, any exception its content raised),
the message is written to `dead_letters` with the reason, in the transaction that moves
the tracked position past it; the query service's /metrics counts that table; and it is
logged once, after the commit. The batch goes on. Losing the database is never the
message's fault: that stops the batch, which is retried from the committed position.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from services.projector.intake.incoming import Incoming

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message: Incoming
    reason: str


def is_the_messages_fault(error: BaseException, conn: psycopg.AsyncConnection[Any]) -> bool:
    """Whether applying a message raised because of what it holds, not because the
    database went away (or the process is stopping): only then is it set aside."""
    if not isinstance(error, Exception) or conn.broken or conn.closed:
        return False
    return not isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


def insert(letters: Sequence[DeadLetter]) -> sql.Composed:
    """One INSERT of literals, to go with the batch's other closing statements. Text is
    made storable whatever the message held (PostgreSQL text takes no NUL)."""
    values = sql.SQL(", ").join(
        sql.SQL("({}, {}, {}, {}::jsonb, {})").format(
            sql.Literal(letter.message.stream_sequence),
            sql.Literal(_storable(letter.message.subject)),
            sql.Literal(letter.message.payload),
            sql.Literal(
                json.dumps({_storable(k): _storable(v) for k, v in letter.message.headers.items()})
            ),
            sql.Literal(_storable(letter.reason)),
        )
        for letter in letters
    )
    return sql.SQL(
        "INSERT INTO dead_letters (stream_sequence, subject, payload, headers, reason) VALUES {}"
    ).format(values)


def report(letters: Sequence[DeadLetter]) -> None:
    for letter in letters:
        logger.error(
            "message set aside in dead_letters",
            extra={
                "stream_sequence": letter.message.stream_sequence,
                "subject": letter.message.subject,
                "reason": letter.reason,
            },
        )


def _storable(text: object) -> str:
    return str(text).replace("\x00", "\\x00").encode("utf-8", "replace").decode("utf-8")

"""Transactions opened by hand, in one message with their first statements.

Each message sent to PostgreSQL costs the sender far more CPU here than the
statements in it (docs/decisions.md), so the busiest writers (the command writer,
the projector) send BEGIN together with their first statements (and the projector
COMMIT with its last), on autocommit connections, instead of through psycopg's
`transaction()`, which spends a message on each.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.pq import TransactionStatus


async def roll_back(conn: psycopg.AsyncConnection[Any]) -> None:
    """Leaves the connection out of a failed transaction opened by hand, or closes it."""
    if conn.closed or conn.broken or conn.info.transaction_status == TransactionStatus.IDLE:
        return
    try:
        await conn.execute(b"ROLLBACK")
    except psycopg.Error:
        await conn.close()

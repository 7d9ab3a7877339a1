"""A batch's checks and side writes on the library's in-memory (POPO) recorder, so that
the use cases run on the same rule without PostgreSQL: the tag names and Idempotency-Key
tables are kept beside the recorder's events, under its lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from services.command.recording.batch import Batch, Found


def check_and_write(
    batch: Batch, tables: dict[str, Any], version_of: Callable[[UUID], int]
) -> None:
    """Raises `Rejected` as statements.py would, else writes what the batch writes beside
    its events; the recorder holds its lock throughout."""
    names: dict[tuple[UUID, str], UUID] = tables.setdefault("tag_names", {})
    keys: set[tuple[UUID, str]] = tables.setdefault("idempotency_keys", set())
    claims = batch.claims()
    answered = [(a.tenant_id, a.key) for a, _ in batch.answers()]
    batch.verify(
        Found(
            versions={i: v for i in batch.checked_ids() if (v := version_of(i))},
            claimed={k: names[k] for c in claims if (k := (c.tenant_id, c.name_key)) in names},
            used={k for k in answered if k in keys},
        )
    )
    for claim in batch.releases():
        if names.get((claim.tenant_id, claim.name_key)) == claim.tag_id:
            del names[(claim.tenant_id, claim.name_key)]
    for claim in claims:
        names[(claim.tenant_id, claim.name_key)] = claim.tag_id
    keys.update(answered)

"""The schema the code expects, one module per part of the system that owns its tables;
migrations must produce exactly this (a test checks drift)."""

from __future__ import annotations

# Importing each module declares its tables on `metadata`.
from shared.tables import (  # noqa: F401
    documents,
    event_store,
    projection,
    read_model,
    relay,
    write_side,
)
from shared.tables.base import metadata

__all__ = ["metadata"]

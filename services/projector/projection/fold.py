"""Folding a batch of events: the rows they touch loaded once, then each event's rule."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from services.projector.projection import rules
from services.projector.projection.page import Page
from shared.stored_events.decoding import Stored


async def fold(conn: AsyncConnection[tuple[Any, ...]], events: list[Stored]) -> Page:
    page = Page()
    await page.load(conn, events)
    for e in events:
        rules.apply(page, e)
    return page

"""What each tag event does to the read tables."""

from __future__ import annotations

from services.projector.projection.page import Page
from shared.stored_events.decoding import Stored
from shared.tag_names import name_key


def tag_created(page: Page, e: Stored) -> None:
    name = e.data.get("name")
    values = {"name": name, "name_key": _key(name), "color": e.data.get("color")}
    page.create("tags", e, values)


def tag_renamed(page: Page, e: Stored) -> None:
    """The name and its uniqueness key: one rule on both sides (shared/tag_names.py)."""
    name = e.data.get("name")
    page.update("tags", e, {"name": name, "name_key": _key(name)})


def tag_recolored(page: Page, e: Stored) -> None:
    page.update("tags", e, {"color": e.data.get("color")})


def tag_deleted(page: Page, e: Stored) -> None:
    """The tag leaves every task that carried it."""
    page.delete_tag(e.aggregate_id, e.tenant_id)


def _key(name: str | None) -> str | None:
    return None if name is None else name_key(name)

"""What each project event does to the read tables."""

from __future__ import annotations

from services.projector.projection.page import Page
from shared.stored_events.decoding import Stored


def project_created(page: Page, e: Stored) -> None:
    page.create(
        "projects", e, {"name": e.data.get("name"), "description": e.data.get("description")}
    )


def project_renamed(page: Page, e: Stored) -> None:
    page.update("projects", e, {"name": e.data.get("name")})


def project_description_changed(page: Page, e: Stored) -> None:
    page.update("projects", e, {"description": e.data.get("description")})


def project_deleted(page: Page, e: Stored) -> None:
    """A deleted project takes its tasks, and their tag links, with it."""
    page.delete_project(e.aggregate_id, e.tenant_id)

"""Route templates for request metrics (shared/request_metrics.py), over both APIs' real
routes with the fast paths on and off."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.command import app as command_app
from services.query import app as query_app
from shared.request_metrics import UNMATCHED, RouteTemplates
from shared.settings import Settings

ID = str(uuid4())


def settings(fast_paths_off: str) -> Settings:
    return Settings(
        database_url="postgresql://nobody@127.0.0.1:9/none",
        nats_url="nats://127.0.0.1:9",
        jwt_secret="s" * 32,  # type: ignore[arg-type]
        fast_paths_off=fast_paths_off,
    )


@pytest.mark.parametrize("off", ["", "all"])
@pytest.mark.parametrize(
    ("path", "template"),
    [
        (f"/api/v1/projects/{ID}", "/api/v1/projects/{project_id}"),
        ("/api/v1/projects/not-an-id", "/api/v1/projects/{project_id}"),
        ("/api/v1/projects", "/api/v1/projects"),
        (f"/api/v1/tasks/{ID}", "/api/v1/tasks/{task_id}"),
        ("/metrics", "/metrics"),
        ("/api/v1/projects/", UNMATCHED),
        (f"/api/v1/projects/{ID}/more", UNMATCHED),
        (f"/{ID}", UNMATCHED),
    ],
)
def test_a_read_path_is_counted_by_its_route_template(off: str, path: str, template: str) -> None:
    app = query_app.create_app(settings(off))
    assert RouteTemplates(app.router.routes).of(path) == template


@pytest.mark.parametrize("off", ["", "all"])
def test_a_command_path_is_counted_by_its_route_template(off: str) -> None:
    templates = RouteTemplates(command_app.create_app(settings(off)).router.routes)
    assert templates.of(f"/api/v1/tasks/{ID}/tags/{ID}") == "/api/v1/tasks/{task_id}/tags/{tag_id}"
    assert templates.of(f"/api/v1/projects/{ID}/tasks") == "/api/v1/projects/{project_id}/tasks"
    assert templates.of("/health") == "/health"
    assert templates.of("/api/v1/nothing") == UNMATCHED

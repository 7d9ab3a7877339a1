"""The use cases on the library's in-memory persistence: the same application, the same
rules, no servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.command.application import TaskstreamApplication


@pytest.fixture
def app() -> Iterator[TaskstreamApplication]:
    application = TaskstreamApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield application
    application.close()

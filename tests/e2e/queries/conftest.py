"""One stack for every query test: each test writes as tenants of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from tests.e2e.conftest import Stack, stack_of_its_own


@pytest.fixture(scope="package")
def stack(
    postgres_server: EmbeddedPostgres,
    template_url: str,
    nats_server: EmbeddedNats,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("logs")
    with stack_of_its_own(postgres_server, template_url, nats_server, logs) as stack:
        yield stack

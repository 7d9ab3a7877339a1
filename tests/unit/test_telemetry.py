"""FastAPI's own OpenTelemetry stays on whenever the process is set up for it."""

from __future__ import annotations

import os

import pytest

from shared.telemetry import OFF, fastapi_telemetry


@pytest.fixture(autouse=True)
def no_otel(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("OTEL_") or name == "FASTAPI_OTEL_AUTO_CONFIGURE":
            monkeypatch.delenv(name)


def test_off_when_nothing_sets_opentelemetry_up() -> None:
    assert fastapi_telemetry() == OFF


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OTEL_SERVICE_NAME", "taskstream-command"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"),
        ("FASTAPI_OTEL_AUTO_CONFIGURE", "true"),
    ],
)
def test_fastapis_defaults_when_opentelemetry_is_set_up(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert fastapi_telemetry() is None

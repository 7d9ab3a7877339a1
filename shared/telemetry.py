"""FastAPI's native OpenTelemetry: on when the process is set up for OpenTelemetry.

FastAPI asks on every request whether global OpenTelemetry providers exist, reading
the environment each time: a visible share of a small command's CPU, for nothing while
no provider is set up. taskstream sets none itself, so the answer is fixed at
start-up: a process started with any `OTEL_*` variable (as `opentelemetry-instrument`
and every exporter need) or with `FASTAPI_OTEL_AUTO_CONFIGURE=true` keeps FastAPI's
defaults; otherwise FastAPI's telemetry is off.
"""

from __future__ import annotations

import os

from fastapi.telemetry import TelemetryConfig

OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def fastapi_telemetry() -> TelemetryConfig | None:
    """The `telemetry=` argument for FastAPI (None: its defaults)."""
    auto = os.environ.get("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true"
    if auto or any(name.startswith("OTEL_") for name in os.environ):
        return None
    return OFF

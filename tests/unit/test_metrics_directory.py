"""The supervisor sets the metrics directory before prometheus_client is imported, since
the library picks its mode at import (shared/metrics_directory.py)."""

from __future__ import annotations

import subprocess
import sys


def test_the_supervisor_has_not_imported_prometheus_client_when_it_serves() -> None:
    """A single worker runs in the supervisor's own process: had the library been
    imported already, that worker's counts would be kept where no scrape reads them."""
    probe = "import sys, services.cli, shared.serving; print('prometheus_client' in sys.modules)"
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert imported.stdout.strip() == "False"

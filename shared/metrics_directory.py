"""Where a service's processes keep their summed metrics (shared/summed_metrics.py).

prometheus_client picks its mode once, when a process first imports it, from
PROMETHEUS_MULTIPROC_DIR: so the supervisor sets it before any worker starts, and this
module does not import the library.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def summed_across_processes(service: str) -> Iterator[None]:
    """A fresh directory for the processes started inside it, removed afterwards: a
    restart's counters start from zero, not from the last start's files."""
    directory = tempfile.mkdtemp(prefix=f"taskstream-{service}-metrics-")
    os.environ[DIRECTORY] = directory
    try:
        yield
    finally:
        os.environ.pop(DIRECTORY, None)
        shutil.rmtree(directory, ignore_errors=True)

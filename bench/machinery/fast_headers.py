"""The projector catching up on a recorded store, its message headers parsed by
`str.split` (on) or by nats-py's own parser (off)."""

from __future__ import annotations

from pathlib import Path

from bench.machinery import _projector
from shared.fast_paths import FastPath

PATH = FastPath.FAST_HEADERS
TITLE = "projector catching up: header parsing"
UNIT = "events/CPU-s"


def measure(workdir: Path, seconds: float, on: bool) -> float:
    return _projector.measure(workdir, seconds, PATH, on)

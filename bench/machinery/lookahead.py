"""The projector catching up on a recorded store, the next batch's stored events read
ahead while a batch is written (on) or in the batch's first message (off)."""

from __future__ import annotations

from pathlib import Path

from bench.machinery import _projector
from shared.fast_paths import FastPath

PATH = FastPath.LOOKAHEAD
TITLE = "projector catching up: store events read ahead"
UNIT = "events/s"


def measure(workdir: Path, seconds: float, on: bool) -> float:
    return _projector.measure(workdir, seconds, PATH, on)

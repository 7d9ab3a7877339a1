"""The projector catching up on a recorded store, pulling through its own pull requests
(on) or through nats-py's `fetch` (off)."""

from __future__ import annotations

from pathlib import Path

from bench.machinery import _projector
from shared.fast_paths import FastPath

PATH = FastPath.PULL_FEED
TITLE = "projector catching up: pull feed"
UNIT = "events/CPU-s"


def measure(workdir: Path, seconds: float, on: bool) -> float:
    return _projector.measure(workdir, seconds, PATH, on)

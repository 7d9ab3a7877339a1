"""The answer cache (services/query/freshness/answer_cache.py) on and off: the nested
view of a project with 200 tasks x 3 tags at 64 connections, read again and again."""

from __future__ import annotations

from pathlib import Path

from bench.read import nested_view_rate
from shared.fast_paths import FastPath

PATH = FastPath.ANSWER_CACHE
TITLE = "nested view at 64 connections, unchanged between reads"
UNIT = "reads/s"


def measure(workdir: Path, seconds: float, on: bool) -> float:
    return nested_view_rate(workdir, seconds, "" if on else PATH.value)

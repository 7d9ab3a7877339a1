"""Reads of one object batched (services/query/batched.py) or one statement each: the
nested view of a project with 200 tasks x 3 tags at 64 connections, with the answer
cache off, so that every read goes to PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from bench.read import nested_view_rate
from shared.fast_paths import FastPath

PATH = FastPath.BATCHED_READS
TITLE = "nested view at 64 connections, answer cache off"
UNIT = "reads/s"


def measure(workdir: Path, seconds: float, on: bool) -> float:
    off = [FastPath.ANSWER_CACHE.value] + ([] if on else [PATH.value])
    return nested_view_rate(workdir, seconds, ",".join(off))

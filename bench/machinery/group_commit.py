"""GROUP_COMMIT: the group-commit writer against the library's own save() per command."""

from __future__ import annotations

from pathlib import Path

from bench.machinery import _http_posts
from shared.fast_paths import FastPath

PATH = FastPath.GROUP_COMMIT
TITLE = "POST /projects through HTTP, 32 clients"
UNIT = "commands/s"


def measure(workdir: Path, seconds: float, on: bool) -> float:
    return _http_posts.measure(workdir, seconds, PATH, on)

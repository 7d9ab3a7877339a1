"""The fast paths that stand in for a library's own way, each switchable by name.

Each one lives in one module named for what it does and has a `make bench` case
(`python -m bench machinery`) that measures it on and off side by side. Turning one
off brings back the library's way; the behaviour the tests check is the same either
way. `TASKSTREAM_FAST_PATHS_OFF` lists the ones to turn off, comma-separated, or `all`.
"""

from __future__ import annotations

from enum import StrEnum


class FastPath(StrEnum):
    PLAIN_ROUTES = "plain_routes"
    PULL_FEED = "pull_feed"
    ANSWER_CACHE = "answer_cache"
    BATCHED_READS = "batched_reads"
    GROUP_COMMIT = "group_commit"
    WIRE = "wire"


def parse_off(spelled: str) -> frozenset[FastPath]:
    """The names in `spelled` as fast paths; an unknown name is refused, naming the known."""
    names = {name.strip().lower() for name in spelled.split(",") if name.strip()}
    if "all" in names:
        return frozenset(FastPath)
    known = {path.value for path in FastPath}
    unknown = sorted(names - known)
    if unknown:
        raise ValueError(
            f"TASKSTREAM_FAST_PATHS_OFF names unknown fast paths {unknown}; "
            f"choose from {sorted(known)} or 'all'"
        )
    return frozenset(FastPath(name) for name in names)

"""`make bench`: the benchmarks, printed as tables. `python -m bench [SUITE ...]`.

Suites: write, read, rebuild, machinery. BENCH_SECONDS: seconds per load step (default 10).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

SUITES = ("write", "read", "rebuild", "machinery")


def main(argv: list[str]) -> int:
    suites: dict[str, Callable[[Path, float], str]] = {
        name: importlib.import_module(f"bench.{name}").run
        for name in SUITES
        if importlib.util.find_spec(f"bench.{name}") is not None
    }
    chosen = argv or list(suites)
    unknown = [name for name in chosen if name not in suites]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {sorted(suites)}", file=sys.stderr)
        return 2
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    reports = []
    for name in chosen:
        print(f"== {name} benchmark", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"taskstream-bench-{name}-") as workdir:
            reports.append(suites[name](Path(workdir), seconds))
    print()
    print("\n\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

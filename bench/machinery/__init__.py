"""Each fast path of shared/fast_paths.py measured on and off, side by side.

A case is a module here with `PATH` (the FastPath it measures), `TITLE`, `UNIT`
(higher is better) and `measure(workdir, seconds, on) -> float`. The suite alternates
on and off `ROUNDS` times so the machine's noise falls on both columns alike.
"""

from __future__ import annotations

import importlib
import pkgutil
import statistics
from pathlib import Path
from types import ModuleType

ROUNDS = 2


def cases() -> list[ModuleType]:
    found = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return sorted(found, key=lambda case: str(case.PATH))


def run(workdir: Path, seconds: float) -> str:
    rows = []
    for case in cases():
        figures: dict[bool, list[float]] = {True: [], False: []}
        for round_ in range(ROUNDS):
            for on in (True, False) if round_ % 2 == 0 else (False, True):
                print(
                    f"  {case.PATH}: round {round_ + 1}/{ROUNDS}, {'on' if on else 'off'}",
                    flush=True,
                )
                place = workdir / f"{case.PATH}-{round_}-{'on' if on else 'off'}"
                place.mkdir()
                figures[on].append(case.measure(place, seconds, on))
        on_, off = statistics.median(figures[True]), statistics.median(figures[False])
        gain = f"{on_ / off - 1:+.0%}" if off else "n/a"
        rows.append((str(case.PATH), case.TITLE, case.UNIT, on_, off, gain))
    header = f"{'fast path':<14} {'case':<52} {'unit':<12} {'on':>10} {'off':>10} {'gain':>6}"
    lines = [
        "Fast paths on and off (TASKSTREAM_FAST_PATHS_OFF), medians of alternating runs",
        header,
    ]
    lines += [
        f"{p:<14} {t:<52} {u:<12} {a:>10,.0f} {b:>10,.0f} {g:>6}" for p, t, u, a, b, g in rows
    ]
    return "\n".join(lines)

"""A rebuild's progress: events done of total, rate and time left, as one rewritten line on
a terminal or a log line every few seconds otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

logger = logging.getLogger(__name__)


class Progress:
    """Events done of total, rate and time left: one rewritten line on a terminal,
    a log line every few seconds otherwise."""

    def __init__(self, total: int, out: TextIO = sys.stderr, every: float = 5.0) -> None:
        self.total = max(total, 1)
        self.done = 0
        self._out = out
        self._tty = out.isatty()
        self._every = every if not self._tty else 0.2
        self._started = self._last = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._report(now)

    def finish(self) -> None:
        self._report(time.monotonic())
        if self._tty:
            self._out.write("\n")

    def _report(self, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else float("inf")
        text = (
            f"rebuild: {self.done:,} of {self.total:,} events ({self.done / self.total:.0%}), "
            f"{rate:,.0f} events/s, {left:,.0f} s left"
        )
        if self._tty:
            self._out.write("\r" + text.ljust(100))
            self._out.flush()
        else:
            logger.info(
                "rebuild progress",
                extra={"done": self.done, "total": self.total, "rate": round(rate), "left_s": left},
            )

"""The live projector's catch-up rate, the figure every projector fast path is judged by.

A realistic mix is recorded straight into the store and published by the relay (the
command service); then the projector service starts, with the fast path named on or off,
and is timed from its first committed batch to the last event, so that its start-up is
not counted. The figure is events per CPU-second of the projector process: its fast
paths save it work, and on a machine shared with other work the clock says more about
the neighbours than about them (the clock's rate is printed beside it).
"""

from __future__ import annotations

from pathlib import Path

import uvloop

from bench.projector import catch_up
from bench.stack import servers, services
from shared.fast_paths import FastPath

# Events per second of BENCH_SECONDS: enough batches for the rate to settle.
EVENTS_PER_SECOND = 10_000


def measure(workdir: Path, seconds: float, path: FastPath, on: bool) -> float:
    env = {} if on else {"TASKSTREAM_FAST_PATHS_OFF": path.value}
    events = int(seconds * EVENTS_PER_SECOND)
    with (
        servers(workdir) as (database_url, nats_url),
        services(workdir, database_url, nats_url, ("command",)) as stack,
    ):
        caught_up = uvloop.run(
            catch_up(workdir, stack, database_url, nats_url, events=events, env=env)
        )
    print(f"    {caught_up.rate:,.0f} events/s by the clock", flush=True)
    return caught_up.per_cpu_second

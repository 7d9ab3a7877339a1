"""WIRE: the relay's hand-built HPUB frames against nats-py's `Client.publish` per message,
measured as the relay's rate replaying a store into an empty stream."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.stack import servers
from bench.write import relay_rate
from shared.fast_paths import FastPath

PATH = FastPath.WIRE
TITLE = "relay into JetStream, 100,000 stored events"
UNIT = "events/s"


def measure(workdir: Path, seconds: float, on: bool) -> float:
    with servers(workdir) as (database_url, nats_url):
        _, rate = asyncio.run(relay_rate(database_url, nats_url, fast_wire=on))
    return rate

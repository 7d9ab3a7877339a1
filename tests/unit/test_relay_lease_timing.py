"""The relay's lease timings as deployed: a frozen leader is replaced within 15 s."""

from __future__ import annotations

from services.command.publishing.lease import DEFAULT_LEASE_SECONDS, standby_seconds
from shared.settings import Settings

# Reading the stream and the store to find where the frozen leader stopped comes on top.
RECONCILE_ALLOWANCE = 3.0


def test_the_default_lease_lets_a_standby_take_over_within_15_seconds() -> None:
    lease = Settings().relay_lease_seconds
    assert lease == DEFAULT_LEASE_SECONDS
    assert lease + standby_seconds(lease) + RECONCILE_ALLOWANCE <= 15.0

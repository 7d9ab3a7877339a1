"""The request metrics' tests again, with every fast path off: FastAPI's own routing
(included routers), no answer cache, no plain routes."""

from __future__ import annotations

import pytest

from tests.e2e.test_request_metrics import (
    test_reads_are_counted_by_route_template_summed_over_the_workers,
    test_refusals_before_any_route_are_counted_by_template_and_unmatched_paths_as_one,
    test_writes_are_counted_and_no_label_carries_an_id_or_a_process,
)

pytestmark = pytest.mark.e2e
STACK_SETTINGS = {"command_workers": 2, "query_workers": 2, "fast_paths_off": "all"}
__all__ = [
    "test_reads_are_counted_by_route_template_summed_over_the_workers",
    "test_refusals_before_any_route_are_counted_by_template_and_unmatched_paths_as_one",
    "test_writes_are_counted_and_no_label_carries_an_id_or_a_process",
]

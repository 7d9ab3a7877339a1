"""The request metrics' tests with one worker per API, which runs in the supervisor's
own process (shared/serving.py)."""

from __future__ import annotations

import pytest

from tests.e2e.test_request_metrics import (
    test_reads_are_counted_by_route_template_summed_over_the_workers,
    test_writes_are_counted_and_no_label_carries_an_id_or_a_process,
)

pytestmark = pytest.mark.e2e
STACK_SETTINGS = {"command_workers": 1, "query_workers": 1}
__all__ = [
    "test_reads_are_counted_by_route_template_summed_over_the_workers",
    "test_writes_are_counted_and_no_label_carries_an_id_or_a_process",
]

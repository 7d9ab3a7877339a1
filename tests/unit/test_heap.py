"""The services' collector settings: the start-up heap is frozen, young collections rare."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.heap import YOUNGEST_GENERATION_THRESHOLD, freeze_startup_heap


@pytest.fixture
def restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored")
def test_the_startup_heap_is_kept_out_of_collections() -> None:
    gc.unfreeze()
    freeze_startup_heap()
    assert gc.get_freeze_count() > 1000, "the modules loaded so far are frozen"
    assert gc.get_threshold()[0] == YOUNGEST_GENERATION_THRESHOLD

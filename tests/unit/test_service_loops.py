"""The relay's and the projector's loops outlive a defect: an unexpected exception is
logged with its traceback and the loop resumes, as it does after an outage."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from services.command.publishing.relay import Relay
from services.projector.consumer import Projector


def failing_once(calls: list[int]) -> Callable[[], Coroutine[Any, Any, None]]:
    async def step() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("a defect nobody foresaw")
        raise asyncio.CancelledError

    return step


@pytest.mark.parametrize(
    ("make", "step"),
    [
        (lambda: Relay("", "", "S"), "_lead"),
        (lambda: Projector("", "", "S"), "_consume"),
    ],
)
async def test_an_unexpected_error_is_logged_and_the_loop_resumes(
    make: Callable[[], Relay | Projector],
    step: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = make()
    calls: list[int] = []
    monkeypatch.setattr(service, step, failing_once(calls))
    with caplog.at_level(logging.ERROR), pytest.raises(asyncio.CancelledError):
        await service.run()
    assert len(calls) == 2
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None
    assert "a defect nobody foresaw" in str(record.exc_info[1])

"""Structured logs: one JSON object per line, naming the process that logged it."""

from __future__ import annotations

import json
import logging

from shared.logs import JsonFormatter


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "dev", "msg": "a service exited", "levelno": 40})
    record.__dict__.update(extra)
    return record


def test_extras_are_fields_of_the_entry() -> None:
    entry = json.loads(JsonFormatter("dev").format(_record(child="query", exit_code=1)))
    assert entry["service"] == "dev"
    assert entry["child"] == "query"
    assert entry["exit_code"] == 1


def test_an_extra_cannot_pass_for_the_process_that_logged() -> None:
    entry = json.loads(JsonFormatter("dev").format(_record(service="query")))
    assert entry["service"] == "dev"
    assert entry["extra_service"] == "query"

"""A task's due date and assignee as both APIs take them: the command API in its bodies,
the query API in the task list's filters. One definition, so a value that one accepts
the other accepts too, and the documents of both say the same."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

from shared.text_rules import NOT_BLANK

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _only_iso(value: object) -> object:
    """pydantic also reads a number as a Unix time and `2026-03-14T00:00` as a date;
    a date here is written one way only."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("a date is written YYYY-MM-DD, e.g. 2026-03-14")


CalendarDate = Annotated[date, BeforeValidator(_only_iso)]
"""A day (`format: date`), no time and no zone: a task is due on a day wherever its
people are."""

Assignee = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=NOT_BLANK)
]
"""Who a task is assigned to: a name or handle the tenant chooses (1-255 characters,
stripped of surrounding white space), matched exactly."""

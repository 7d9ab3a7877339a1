"""One spelling of time on every surface: RFC 3339, UTC, microseconds, `Z`.

The command API (pydantic), the query API (JSON built by PostgreSQL) and the event
envelope all answer in this form, so clients can compare values as strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def sql_rfc3339(column: str) -> str:
    """The SQL expression that spells `column` (a timestamptz) like `rfc3339`."""
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

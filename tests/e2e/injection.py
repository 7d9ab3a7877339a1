"""Messages that taskstream did not publish, put on its stream the way a stray client,
a bug elsewhere or an attacker would (issue 16).

Every second one foreign message (a subject no taskstream event has) and one poison
message, the kinds taken in turn: garbage bytes, a CloudEvent forged for a real
tenant (deleting a live project, renaming another tenant's project, at a position
far ahead, at a position near the real ones, at 2**63), a `Status` user header that
looks like a JetStream control reply, a field of the wrong type, an unknown type and
a foreign source. Each carries the INJECTED header, so that a check of the stream can
tell them from the relay's messages without trusting anything else in them.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from nats.errors import Error as NatsError

from shared.events.catalog import SUBJECT_PREFIX
from shared.nats import ANONYMOUS, NatsCredentials, connect

INJECTED = "Taskstream-Test-Injected"
FOREIGN_SUBJECT = f"{SUBJECT_PREFIX}.junk.x.y"
FAR_AHEAD = 10**12

Target = Callable[[int], tuple[UUID, str] | None]
"""The n-th live project, as (tenant, project id), or None while there is none."""
Message = tuple[str, bytes, dict[str, str]]


class Injector:
    def __init__(
        self,
        nats_url: str,
        target: Target,
        near: Callable[[], int],
        credentials: NatsCredentials = ANONYMOUS,
    ) -> None:
        """`near()` is the last position the API answered, for forgeries that pass for
        the next real event. Forging takes an identity that may publish any event."""
        self._nats_url = nats_url
        self._credentials = credentials
        self._target = target
        self._near = near
        self.sent: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    async def run(self, seconds: float) -> None:
        """One foreign and one poison message every second; a publish that JetStream
        does not confirm (NATS restarting) is counted as refused and not retried."""
        nc = await connect(self._nats_url, name="test-injector", credentials=self._credentials)
        try:
            js = nc.jetstream()
            started = time.monotonic()
            n = 0
            while time.monotonic() < started + seconds:
                poison = POISON[n % len(POISON)]
                for kind, message in (
                    ("foreign", _foreign(n)),
                    (poison.__name__, poison(n, self._target(n), self._near())),
                ):
                    subject, payload, headers = message
                    try:
                        await js.publish(
                            subject, payload, timeout=1, headers={**headers, INJECTED: kind}
                        )
                        self.sent[kind] += 1
                    except (NatsError, TimeoutError):
                        self.refused[kind] += 1
                n += 1
                await asyncio.sleep(max(started + n - time.monotonic(), 0))
        finally:
            await nc.close()


def _foreign(n: int) -> Message:
    return FOREIGN_SUBJECT, f"not a taskstream event {n}".encode(), {}


def _cloudevent(
    event_type: str,
    tenant: UUID,
    aggregate: str,
    position: int,
    data: dict[str, Any],
    **overrides: Any,
) -> bytes:
    event = {
        "specversion": "1.0",
        "id": str(uuid4()),
        "source": "taskstream",
        "type": event_type,
        "subject": aggregate,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "tenantid": str(tenant),
        "position": position,
        "aggregateid": aggregate,
        "aggregateversion": 2,
        "data": data,
        **overrides,
    }
    return json.dumps(event).encode()


def _subject(tenant: UUID, aggregate: str, event_type: str) -> str:
    return f"{SUBJECT_PREFIX}.{tenant}.{aggregate}.{event_type}"


def _or_new(target: tuple[UUID, str] | None) -> tuple[UUID, str]:
    return target if target is not None else (uuid4(), str(uuid4()))


def garbage(n: int, target: tuple[UUID, str] | None, near: int) -> Message:
    tenant, _ = _or_new(target)
    return _subject(tenant, "project", "ProjectCreated"), os.urandom(48), {}


def forged_delete(n: int, target: tuple[UUID, str] | None, near: int) -> Message:
    """A live project's deletion that no command recorded, far ahead of the store."""
    tenant, project = _or_new(target)
    body = _cloudevent("ProjectDeleted", tenant, project, FAR_AHEAD + n, {"project_id": project})
    return _subject(tenant, "project", "ProjectDeleted"), body, {}


def forged_near(n: int, target: tuple[UUID, str] | None, near: int) -> Message:
    """A rename at a position the store is about to give a real event."""
    tenant, project = _or_new(target)
    data = {"project_id": project, "name": f"forged {n}"}
    body = _cloudevent("ProjectRenamed", tenant, project, near + 3, data)
    return _subject(tenant, "project", "ProjectRenamed"), body, {}


def other_tenant(n: int, target: tuple[UUID, str] | None, near: int) -> Message:
    """A deletion naming a made-up tenant and a real project of another one."""
    _, project = _or_new(target)
    tenant = uuid4()
    body = _cloudevent("ProjectDeleted", tenant, project, FAR_AHEAD + n, {"project_id": project})
    return _subject(tenant, "project", "ProjectDeleted"), body, {}


def status_header(n: int, target: tuple[UUID, str] | None, near: int) -> Message:
    """A user header that a pull feed can mistake for the server's own status reply."""
    tenant, _ = _or_new(target)
    project = str(uuid4())
    data = {"project_id": project, "name": f"status {n}", "description": None}
    body = _cloudevent("ProjectCreated", tenant, project, FAR_AHEAD + n, data)
    status = ("409", "404", "408", "100")[(n // len(POISON)) % 4]
    headers = {"Status": status, "Description": "looks like a control reply"}
    return _subject(tenant, "project", "ProjectCreated"), body, headers


def huge_position(n: int, target: tuple[UUID, str] | None, near: int) -> Message:
    tenant, _ = _or_new(target)
    project = str(uuid4())
    data = {"project_id": project, "name": f"huge {n}", "description": None}
    body = _cloudevent("ProjectCreated", tenant, project, 2**63, data)
    return _subject(tenant, "project", "ProjectCreated"), body, {}


def wrong_field_type(n: int, target: tuple[UUID, str] | None, near: int) -> Message:
    tenant, project = _or_new(target)
    data = {"project_id": project, "name": {"not": "a string"}}
    body = _cloudevent("ProjectRenamed", tenant, project, FAR_AHEAD + n, data)
    return _subject(tenant, "project", "ProjectRenamed"), body, {}


def unknown_type(n: int, target: tuple[UUID, str] | None, near: int) -> Message:
    tenant, project = _or_new(target)
    body = _cloudevent("ProjectExploded", tenant, project, FAR_AHEAD + n, {})
    return _subject(tenant, "project", "ProjectExploded"), body, {}


def foreign_source(n: int, target: tuple[UUID, str] | None, near: int) -> Message:
    tenant, project = _or_new(target)
    body = _cloudevent(
        "ProjectDeleted",
        tenant,
        project,
        FAR_AHEAD + n,
        {"project_id": project},
        source="someone-else",
    )
    return _subject(tenant, "project", "ProjectDeleted"), body, {}


POISON = (
    forged_delete,
    garbage,
    status_header,
    forged_near,
    huge_position,
    other_tenant,
    wrong_field_type,
    unknown_type,
    foreign_source,
)

"""What the clients saw during the faults, and what became of the commands they were
told had succeeded: each check returns the guarantees that broke, with an example."""

from __future__ import annotations

from tests.e2e.fault_schedule import Timeline
from tests.e2e.injection import INJECTED
from tests.e2e.mixed_load import Answer
from tests.e2e.pipeline_audit import StoredEvent, published_ids
from tests.support import StoredMessage

# Once PostgreSQL accepts connections again, the pools may take this long to reconnect.
RECONNECT_GRACE = 1.0
# A command's answer is 404 when a delete raced it, 409 when it lost every retry
# against concurrent writes to its object; the load causes nothing else.
COMMAND_STATUSES = {200, 201, 204, 404, 409}
READ_STATUSES = {200, 404}
# How long after the freeze the relay that was frozen may still have been publishing.
FREEZE_SETTLES = 1.0


def check_answers(answers: list[Answer], timeline: Timeline) -> list[str]:
    """No 500, no request unanswered (within the load's 10 s), a 503 (a problem, with
    Retry-After) only while PostgreSQL was down, and no status the load's requests
    cannot cause."""
    down = timeline.marks["postgres down"][0]
    up = timeline.marks["postgres up"][0] + RECONNECT_GRACE
    groups: dict[str, list[Answer]] = {}
    for a in answers:
        expected = READ_STATUSES if a.kind == "read" else COMMAND_STATUSES
        during = a.started <= up and a.ended >= down
        if a.status is None:
            group = "NO ANSWER"
        elif a.status == 503 and during:
            if a.retry_after and a.content_type.startswith("application/problem+json"):
                continue
            group = "503 WITHOUT Retry-After OR NOT A PROBLEM"
        elif a.status == 503:
            group = "503 OUTSIDE THE POSTGRESQL OUTAGE"
        elif a.status >= 500:
            group = f"{a.status} ANSWERED"
        elif a.status not in expected:
            group = f"UNEXPECTED {a.status}"
        else:
            continue
        groups.setdefault(group, []).append(a)
    return [
        f"{group}: {len(found)} requests, e.g. at +{found[0].started - timeline.started:.1f} s "
        f"for {found[0].ended - found[0].started:.1f} s: {found[0].describe()}"
        for group, found in groups.items()
    ]


def check_acknowledged(
    answers: list[Answer], stored: list[StoredEvent], messages: list[StoredMessage]
) -> list[str]:
    """The position each acknowledged command answered is an event of the store and of
    the stream, and an object it created was created at or before that position."""
    at = {e.position: e for e in stored}
    created_at = {e.aggregate: e.position for e in stored if e.version == 1}
    ids = published_ids(messages)
    on_stream = {p for p, e in at.items() if e.id in ids}
    acknowledged = [a for a in answers if a.acknowledged]
    broken = []
    for title, failed in (
        ("ACKNOWLEDGED BUT NOT STORED", [a for a in acknowledged if a.position not in at]),
        (
            "ACKNOWLEDGED BUT NOT ON THE STREAM",
            [a for a in acknowledged if a.position in at and a.position not in on_stream],
        ),
        (
            "CREATED AFTER ITS ANSWER'S POSITION",
            [
                a
                for a in acknowledged
                if a.created is not None and created_at.get(a.created, 2**63) > (a.position or 0)
            ],
        ),
    ):
        if failed:
            broken.append(
                f"{title}: {len(failed)} of {len(acknowledged)} acknowledged commands, e.g. "
                f"{failed[0].describe()} answered position {failed[0].position}"
                + (f", created {failed[0].created}" if failed[0].created else "")
            )
    return broken


def check_freeze(messages: list[StoredMessage], timeline: Timeline) -> list[str]:
    """While the leading relay was frozen, another published (a leader that
    stops making progress loses its lease within 15 s)."""
    frozen = timeline.marks["relay frozen"][1]
    thawed = timeline.marks["relay thawed"][1]
    times = sorted(m.time.timestamp() for m in messages if INJECTED not in m.headers)
    during = [t for t in times if frozen + FREEZE_SETTLES < t < thawed]
    if during:
        return []
    before = max((t for t in times if t <= frozen + FREEZE_SETTLES), default=frozen)
    after = min((t for t in times if t >= thawed), default=float("nan"))
    return [
        f"FROZEN LEADER BLOCKED PUBLISHING: no event reached the stream while the leading "
        f"relay was frozen for {thawed - frozen:.0f} s (the last at {before - frozen:+.1f} s,"
        f" the next at {after - frozen:+.1f} s from the freeze)"
    ]

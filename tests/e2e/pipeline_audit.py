"""What the pipeline must show after any faults, checked against the event
store: each check returns the guarantees that broke, each with an example.

The stream's messages are the relay's unless they carry the injector's header
(injection.py); nothing else in a message is trusted to tell them apart.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from nats.js.errors import NotFoundError

from shared.database import EVENTS_TABLE, DatabaseAddress
from shared.event_ids import event_id_text
from shared.events.identity import InvalidEnvelope
from shared.nats import ANONYMOUS, NatsCredentials, connect
from shared.tracking import TRACKING_NAME
from tests.e2e.injection import INJECTED
from tests.support import StoredMessage, published_event

STREAM = "TASKSTREAM"


@dataclass(frozen=True)
class StoredEvent:
    position: int
    id: str
    type: str
    aggregate: str
    version: int

    def describe(self) -> str:
        return f"position {self.position} ({self.type} of {self.aggregate}, id {self.id})"


def stored_events(database_url: str) -> list[StoredEvent]:
    """Every event in the store, in position order."""
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        rows = conn.execute(
            f"SELECT notification_id, originator_id, originator_version, topic"  # noqa: S608
            f" FROM {EVENTS_TABLE} ORDER BY notification_id"
        ).fetchall()
    return [
        StoredEvent(p, event_id_text(str(a), v), t.rsplit(".", 1)[-1], str(a), v)
        for p, a, v, t in rows
    ]


def last_position(database_url: str) -> int:
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        row = conn.execute(
            f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}"  # noqa: S608
        ).fetchone()
    return int(row[0]) if row else 0


def tracking(database_url: str) -> tuple[int, int]:
    """The read model's (stream sequence, position)."""
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        row = conn.execute(
            "SELECT stream_sequence, position FROM projection_tracking WHERE name = %s",
            (TRACKING_NAME,),
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def settle(
    database_url: str,
    nats_url: str,
    *,
    within: float,
    quiet: float,
    credentials: NatsCredentials = ANONYMOUS,
) -> str:
    """Waits until the relay has published the store's last event and the projector has
    consumed the whole stream; gives up after `within` s, or once nothing has moved for
    `quiet` s. Returns how far each got."""
    deadline = time.monotonic() + within
    last: tuple[int, ...] = ()
    moved = time.monotonic()
    while True:
        store = last_position(database_url)
        relayed, last_sequence = await _relay_tail(nats_url, credentials)
        applied = tracking(database_url)
        state = (store, relayed, last_sequence, *applied)
        report = (
            f"the store ends at position {store}, the relay's messages at position "
            f"{relayed}, the stream at sequence {last_sequence}; the read model is at "
            f"sequence {applied[0]}, position {applied[1]}"
        )
        if relayed == store and applied[0] >= last_sequence:
            return report
        if state != last:
            last, moved = state, time.monotonic()
        if time.monotonic() > deadline or time.monotonic() - moved > quiet:
            return report
        await asyncio.sleep(0.5)


async def _relay_tail(nats_url: str, credentials: NatsCredentials) -> tuple[int, int]:
    """The position of the relay's last message, and the stream's last sequence."""
    nc = await connect(nats_url, name="test-audit", credentials=credentials)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(STREAM)
        except NotFoundError:
            return 0, 0
        for sequence in range(info.state.last_seq, max(info.state.first_seq, 1) - 1, -1):
            try:
                message = await js.get_msg(STREAM, seq=sequence)
            except NotFoundError:
                continue
            if INJECTED not in (message.headers or {}):
                try:
                    position = published_event(message.data or b"").position
                except InvalidEnvelope:
                    position = -1
                return position, info.state.last_seq
        return 0, info.state.last_seq
    finally:
        await nc.close()


def published_ids(messages: list[StoredMessage]) -> set[str]:
    """The event ids of the relay's messages on the stream."""
    ids = set()
    for message in messages:
        if INJECTED not in message.headers:
            try:
                ids.add(str(published_event(message.data).id))
            except InvalidEnvelope:
                continue
    return ids


def check_stream(stored: list[StoredEvent], messages: list[StoredMessage]) -> list[str]:
    """Every stored event on the stream exactly once, in position order, and nothing on
    it (but the injected messages) that the store does not hold."""
    broken: list[str] = []
    by_id = {e.id: e for e in stored}
    sequences: dict[str, list[int]] = defaultdict(list)
    invented: list[str] = []
    order: list[tuple[int, int]] = []
    for message in messages:
        if INJECTED in message.headers:
            continue
        try:
            envelope = published_event(message.data)
        except InvalidEnvelope as e:
            invented.append(f"sequence {message.seq}: {e}")
            continue
        event = by_id.get(str(envelope.id))
        if event is None or event.position != envelope.position:
            invented.append(f"sequence {message.seq}: id {envelope.id} at {envelope.position}")
            continue
        sequences[event.id].append(message.seq)
        order.append((event.position, message.seq))
    missing = [e for e in stored if e.id not in sequences]
    if missing:
        broken.append(
            f"LOST: {len(missing)} of {len(stored)} stored events never reached the stream, "
            f"e.g. {missing[0].describe()}; first positions "
            f"{[e.position for e in missing[:12]]}"
        )
    doubled = {i: s for i, s in sequences.items() if len(s) > 1}
    if doubled:
        first = min(doubled, key=lambda i: by_id[i].position)
        broken.append(
            f"DOUBLED: {len(doubled)} events are on the stream more than once, e.g. "
            f"{by_id[first].describe()} at sequences {doubled[first]}"
        )
    behind = next(((a, b) for a, b in itertools.pairwise(order) if b[0] <= a[0]), None)
    if behind is not None:
        (p1, s1), (p2, s2) = behind
        broken.append(
            f"OUT OF ORDER: position {p2} (sequence {s2}) follows position {p1} "
            f"(sequence {s1}) on the stream"
        )
    if invented:
        broken.append(
            f"INVENTED: {len(invented)} messages that nobody injected are not events of the "
            f"store, e.g. {invented[0]}"
        )
    return broken


def check_projection(
    database_url: str, stored: list[StoredEvent], messages: list[StoredMessage]
) -> tuple[list[str], Counter[str]]:
    """The projector consumed the whole stream, reached the store's last position (not
    a forged one beyond it), set every injected message aside once and no real event.
    Also returns the dead letters by the injected kind they were (or "event")."""
    broken: list[str] = []
    sequence, position = tracking(database_url)
    last_sequence = messages[-1].seq if messages else 0
    store = stored[-1].position if stored else 0
    if sequence < last_sequence or position < store:
        broken.append(
            f"STALLED: the read model stopped at sequence {sequence}, position {position}; "
            f"the stream ends at sequence {last_sequence}, the store at position {store}"
        )
    if position > store:
        broken.append(
            f"FORGED POSITION: the read model tracks position {position}, beyond the "
            f"store's last ({store}): it applied a message the store does not hold"
        )
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        rows = conn.execute("SELECT stream_sequence, reason FROM dead_letters").fetchall()
    parked = Counter(int(s) for s, _ in rows)
    reasons = {int(s): str(r) for s, r in rows}
    by_sequence = {m.seq: m for m in messages}
    kinds: Counter[str] = Counter()
    for seq in parked:
        message = by_sequence.get(seq)
        kinds[message.headers.get(INJECTED, "event") if message else "unknown"] += 1
    injected = [m for m in messages if INJECTED in m.headers]
    unparked = [m for m in injected if m.seq not in parked]
    if unparked:
        example = unparked[0]
        broken.append(
            f"NOT SET ASIDE: {len(unparked)} of {len(injected)} injected messages are not "
            f"in dead_letters (applied, dropped or never reached), e.g. sequence "
            f"{example.seq} ({example.headers[INJECTED]})"
        )
    real = [s for s in parked if s in by_sequence and INJECTED not in by_sequence[s].headers]
    if real:
        broken.append(
            f"REAL EVENT SET ASIDE: {len(real)} of the relay's messages are dead letters, "
            f"e.g. sequence {real[0]}: {reasons[real[0]]}"
        )
    twice = [s for s, n in parked.items() if n > 1]
    if twice:
        broken.append(f"SET ASIDE TWICE: sequence {twice[0]} is {parked[twice[0]]} dead letters")
    return broken, kinds


def check_rebuild(
    projected: dict[str, list[tuple[Any, ...]]], rebuilt: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    broken = []
    for table, rows in projected.items():
        live, fresh = set(rows), set(rebuilt[table])
        if live == fresh:
            continue
        only_live, only_fresh = sorted(live - fresh, key=str), sorted(fresh - live, key=str)
        example = (
            f"live only {_row(only_live[0])}"
            if only_live
            else f"rebuild only {_row(only_fresh[0])}"
        )
        broken.append(
            f"READ MODEL != REBUILD: {table} has {len(only_live)} rows only in the live read "
            f"model and {len(only_fresh)} only in a fresh rebuild, e.g. {example}"
        )
    return broken


def _row(row: tuple[Any, ...]) -> str:
    return str(tuple(str(v) if isinstance(v, UUID) else v for v in row))[:300]

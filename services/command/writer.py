"""Group commit: the commands that arrive together are recorded in one transaction.

The library's recorder locks the events table through each commit, which caps one
save per transaction at a few hundred per second. One writer thread per process
takes every command waiting in its queue and records them with one `app.save()`:
one lock, one insert, one commit (durable before any of them is answered). Each
command keeps its own optimistic concurrency (changes.Batch); a rejected command
leaves the batch with its own error and the others are recorded without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from eventsourcing.persistence import IntegrityError

from services.command.application import TaskstreamApplication
from services.command.changes import Batch, Change, Rejected, Stale

logger = logging.getLogger(__name__)
MAX_BATCH = 500


@dataclass
class _Pending:
    change: Change
    future: Future[int] | asyncio.Future[int] = field(default_factory=Future)
    loop: asyncio.AbstractEventLoop | None = None


class BatchWriter:
    def __init__(self, app: TaskstreamApplication, *, max_batch: int = MAX_BATCH) -> None:
        self._app = app
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="batch-writer", daemon=True)
        self.batches = 0
        self.commands = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Records what is already queued, then ends the thread."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def submit(self, change: Change) -> Future[int]:
        """The future holds the global position of the change's last event once committed."""
        future: Future[int] = Future()
        self._queue.put(_Pending(change, future))
        return future

    async def record(self, change: Change) -> int:
        """The global position of the change's last event, once committed. The whole
        batch is settled on the event loop with one wake-up, not one per command."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._queue.put(_Pending(change, future, loop))
        return await future

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            group = [first]
            while len(group) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                group.append(item)
            self._record(group)

    def _record(self, group: list[_Pending]) -> None:
        outcomes: list[tuple[_Pending, int | BaseException]] = []
        self._record_into(group, outcomes)
        _settle(outcomes)

    def _record_into(
        self, group: list[_Pending], outcomes: list[tuple[_Pending, int | BaseException]]
    ) -> None:
        while group:
            batch = Batch([p.change for p in group])
            events = [e for p in group for e in p.change.events]
            try:
                recordings = self._app.record_events(events, batch=batch)
            except Rejected as rejected:
                outcomes.extend((group[i], error) for i, error in rejected.rejections.items())
                group = [p for i, p in enumerate(group) if i not in rejected.rejections]
                continue
            except IntegrityError:
                self._record_one_by_one(group, outcomes)
                return
            except Exception as error:
                logger.exception("recording a batch failed", extra={"commands": len(group)})
                outcomes.extend((p, error) for p in group)
                return
            positions = {
                (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
                for r in recordings
            }
            self.batches += 1
            self.commands += len(group)
            outcomes.extend((p, positions[p.change.last_event]) for p in group)
            return

    def _record_one_by_one(
        self, group: list[_Pending], outcomes: list[tuple[_Pending, int | BaseException]]
    ) -> None:
        """A constraint the checks did not foresee failed: find the culprit alone."""
        if len(group) == 1:
            outcomes.append((group[0], Stale()))
            return
        for pending in group:
            self._record_into([pending], outcomes)


def _settle(outcomes: list[tuple[_Pending, int | BaseException]]) -> None:
    """Thread futures directly; each event loop's futures in one callback on that loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, int | BaseException]]] = {}
    for pending, outcome in outcomes:
        if pending.loop is None:
            _resolve(pending.future, outcome)
        else:
            by_loop.setdefault(pending.loop, []).append((pending, outcome))
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
            loop.call_soon_threadsafe(_resolve_all, items)


def _resolve_all(items: list[tuple[_Pending, int | BaseException]]) -> None:
    for pending, outcome in items:
        _resolve(pending.future, outcome)


def _resolve(future: Future[int] | asyncio.Future[int], outcome: int | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)

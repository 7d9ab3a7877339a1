"""Group commit: the commands that arrive together are recorded in one transaction.

The library's recorder locks the events table through each commit, which caps one
save per transaction at a few hundred per second. One writer thread per process
takes every command waiting in its queue and records them with one `app.save()`:
one lock, one insert, one commit (durable before any of them is answered). Each
command keeps its own optimistic concurrency (changes.Batch); a rejected command
leaves the batch with its own error and the others are recorded without it.
"""

from __future__ import annotations

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
    future: Future[int] = field(default_factory=Future)


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
        pending = _Pending(change)
        self._queue.put(pending)
        return pending.future

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
        while group:
            batch = Batch([p.change for p in group])
            events = [e for p in group for e in p.change.events]
            try:
                recordings = self._app.record_events(events, batch=batch)
            except Rejected as rejected:
                for index, error in rejected.rejections.items():
                    group[index].future.set_exception(error)
                group = [p for i, p in enumerate(group) if i not in rejected.rejections]
                continue
            except IntegrityError:
                self._record_one_by_one(group)
                return
            except Exception as error:
                logger.exception("recording a batch failed", extra={"commands": len(group)})
                for p in group:
                    p.future.set_exception(error)
                return
            positions = {
                (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
                for r in recordings
            }
            self.batches += 1
            self.commands += len(group)
            for p in group:
                p.future.set_result(positions[p.change.last_event])
            return

    def _record_one_by_one(self, group: list[_Pending]) -> None:
        """A constraint the checks did not foresee failed: find the culprit alone."""
        if len(group) == 1:
            group[0].future.set_exception(Stale())
            return
        for pending in group:
            self._record([pending])

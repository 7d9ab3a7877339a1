"""Each command saved by the library's own `Application.save()`, in a transaction of its
own on a worker thread: what GROUP_COMMIT off means (group_commit.py is the fast path).

The guarantees are the same: the batch's checks (versions relied on, tag names,
Idempotency-Keys) run inside the library's transaction, after its table lock, and the
answer is the position of the command's last event.
"""

from __future__ import annotations

from anyio import to_thread

from services.command.application import TaskstreamApplication
from services.command.metrics import COMMAND_BATCHES, COMMANDS_RECORDED
from services.command.recording.changes import Change


class LibrarySaves:
    def __init__(self, app: TaskstreamApplication) -> None:
        self._app = app
        self.batches = 0
        self.commands = 0

    async def record(self, change: Change) -> int:
        """The global position of the change's last event, once committed."""
        position = await to_thread.run_sync(self._app.record_change, change)
        self.batches += 1
        self.commands += 1
        COMMAND_BATCHES.inc()
        COMMANDS_RECORDED.inc()
        return position

"""What the command handler records through: the group-commit writer or the library's
own save per command, chosen at the composition root (FastPath.GROUP_COMMIT)."""

from __future__ import annotations

from typing import Protocol

from services.command.recording.changes import Change


class ChangeWriter(Protocol):
    batches: int
    """Transactions recorded by this worker."""
    commands: int
    """Commands recorded by this worker."""

    async def record(self, change: Change) -> int:
        """The global position of the change's last event, once committed; raises Stale,
        KeyUsed or a domain error when the change may not be recorded."""
        ...

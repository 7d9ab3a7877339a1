"""What the projector tells the query services after each commit: how far the read
model got, and whose reads the commit may have changed.

The notice is the payload of a PostgreSQL NOTIFY sent in the projector's own
transaction, so it arrives after the rows are visible and in commit order. The
query services keep answers in memory (services/query/freshness/answers.py) and drop exactly
those a notice names: a tenant's lists, and the nested views of named projects.

Payload: `<position>` alone means "anything may have changed" (a rebuild, or a batch
touching more than fits in NOTIFY's 8000 bytes); otherwise `<position> t:<tenant>,…`
optionally followed by ` p:<project>,…`. Without `p:` every project of the named
tenants counts as changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CHANNEL = "taskstream_projection"
_LIMIT = 7900


@dataclass(frozen=True)
class ProjectionNotice:
    position: int
    tenants: frozenset[str] | None = None
    """None: every tenant's reads may have changed."""
    projects: frozenset[str] | None = None
    """None: every project of `tenants` may have changed."""

    @classmethod
    def of(
        cls, position: int, tenants: Iterable[object], projects: Iterable[object]
    ) -> ProjectionNotice:
        return cls(position, frozenset(map(str, tenants)), frozenset(map(str, projects)))

    def payload(self) -> str:
        """The widest notice that fits: projects are dropped first, then tenants."""
        head = str(self.position)
        if self.tenants is None:
            return head
        with_tenants = f"{head} t:{','.join(sorted(self.tenants))}"
        if self.projects is not None:
            full = f"{with_tenants} p:{','.join(sorted(self.projects))}"
            if len(full) <= _LIMIT:
                return full
        return with_tenants if len(with_tenants) <= _LIMIT else head

    @classmethod
    def parse(cls, payload: str) -> ProjectionNotice:
        """Raises ValueError for a payload that is not a notice."""
        position, *parts = payload.split(" ")
        fields = dict(part.split(":", 1) for part in parts)
        if set(fields) - {"t", "p"} or ("p" in fields and "t" not in fields):
            raise ValueError(f"not a projection notice: {payload[:80]!r}")
        tenants = frozenset(filter(None, fields["t"].split(","))) if "t" in fields else None
        projects = frozenset(filter(None, fields["p"].split(","))) if "p" in fields else None
        return cls(int(position), tenants, projects)

    def touches(self, tenant: str, project: str | None) -> bool:
        """Whether a read of `tenant` (of one project's view, when given) may have changed."""
        if self.tenants is None:
            return True
        if tenant not in self.tenants:
            return False
        return project is None or self.projects is None or project in self.projects

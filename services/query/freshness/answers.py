"""Answers kept in memory until the projector says they may have changed: the store
the answer cache (answer_cache.py) serves from.

Freshness comes from the projector's notices (shared/projection_notice.py), which the
store hears from the position watcher: each names the tenants, and the projects,
whose reads its commit may have changed, and arrives after the commit. So an answer
stays valid until a notice touches it, and a client that waited for a position
(X-Min-Position) never gets an answer older than that position.

Two rules keep that true:
- An answer computed while a notice arrived is not kept: it may predate the commit
  the notice announced, which has already dropped what it replaced.
- Without a live LISTEN connection notices can be missed, so nothing is served or
  kept until the watcher is listening again, and then the cache starts empty.

An answer keeps its body gzipped beside it once a caller that accepts gzip asked for
it (shared/compression.py), counted in the cache's size.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from services.query.metrics import CACHE_HITS, CACHE_MISSES
from shared.compression import gzipped
from shared.projection_notice import ProjectionNotice

Key = tuple[str, str, bytes]
"""(tenant, path, query string)."""


@dataclass
class Answer:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    tenant: str
    project: str | None
    """The project whose nested view this is; None for a tenant-wide read."""
    gzipped: bytes | None = None
    """The body gzipped, once a caller that accepts gzip asked for it (`ResponseCache.gzip`)."""

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + 200


class ResponseCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.generation = 0
        """Moves on every notice and every reset: an answer is kept only if it did not
        move while the answer was computed."""
        self.live = False
        self.hits = 0
        self.misses = 0
        self.shared = 0
        """Misses answered by the same read another caller had in flight (AnswerCache)."""
        self.bytes = 0
        self._answers: OrderedDict[Key, Answer] = OrderedDict()
        self._by_tenant: dict[str, dict[str | None, set[Key]]] = {}
        """tenant -> project (None: a tenant-wide read) -> keys: a notice finds what it
        drops without looking at the tenant's other kept views, however many."""

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: Key) -> Answer | None:
        answer = self._answers.get(key)
        if answer is None:
            self.misses += 1
            CACHE_MISSES.inc()
            return None
        self._answers.move_to_end(key)
        self.hits += 1
        CACHE_HITS.inc()
        return answer

    def kept(self, key: Key) -> Answer | None:
        """The kept answer, not counted as a hit or a miss: for a read that missed and
        waited for another's computation."""
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def gzip(self, key: Key, answer: Answer) -> bytes:
        """The answer's body gzipped: compressed on the first call, kept beside the body
        after that, so a hit that asks for gzip costs no compression."""
        if answer.gzipped is None:
            answer.gzipped = gzipped(answer.body)
            if self._answers.get(key) is answer:
                self.bytes += len(answer.gzipped)
        return answer.gzipped

    def keep(self, key: Key, answer: Answer, generation: int) -> bool:
        if not self.live or generation != self.generation or answer.size > self.max_bytes // 8:
            return False
        self._drop(key)
        while self._answers and self.bytes + answer.size > self.max_bytes:
            self._drop(next(iter(self._answers)))
        self._answers[key] = answer
        self._by_tenant.setdefault(answer.tenant, {}).setdefault(answer.project, set()).add(key)
        self.bytes += answer.size
        return True

    def apply(self, notice: ProjectionNotice) -> None:
        self.generation += 1
        if notice.tenants is None:
            self._clear()
            return
        for tenant in notice.tenants:
            groups = self._by_tenant.get(tenant)
            if groups is None:
                continue
            touched = groups if notice.projects is None else (None, *notice.projects)
            for project in [p for p in touched if p in groups]:
                for key in list(groups[project]):
                    self._drop(key)

    def listening(self, live: bool) -> None:
        """Called as the watcher's LISTEN connection comes and goes."""
        self.generation += 1
        self.live = live
        self._clear()

    def _drop(self, key: Key) -> None:
        answer = self._answers.pop(key, None)
        if answer is None:
            return
        self.bytes -= answer.size
        groups = self._by_tenant[answer.tenant]
        keys = groups[answer.project]
        keys.discard(key)
        if not keys:
            del groups[answer.project]
            if not groups:
                del self._by_tenant[answer.tenant]

    def _clear(self) -> None:
        self._answers.clear()
        self._by_tenant.clear()
        self.bytes = 0

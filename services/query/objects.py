"""Reads of one object by id: a project's nested view, a task, a tag.

Each kind's statement takes an array of ids and one of their tenants, and returns a row
for each object the tenant owns: its id, its tenant, then what the read answers. Whether
reads that start together share one statement (services/query/batched.py) or each sends
its own is the composition root's choice (FastPath.BATCHED_READS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from services.query import queries
from services.query.batched import BatchedReads
from services.query.pool import Pool

Row = tuple[Any, ...]


class ByIdReads(Protocol):
    async def get(self, tenant_id: UUID, object_id: UUID) -> Row | None:
        """What the statement answers after the id and tenant; None if the tenant has no
        such object."""


class OneByOne:
    """Each read its own statement on its own pooled connection."""

    def __init__(self, pool: Pool, statement: str) -> None:
        self._pool = pool
        self._statement = statement

    async def get(self, tenant_id: UUID, object_id: UUID) -> Row | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(self._statement, ([object_id], [tenant_id]), prepare=True)
            row = await cur.fetchone()
        return None if row is None else row[2:]


@dataclass(frozen=True)
class Found:
    """One object's body, its version, and the body's digest when it is kept with it."""

    body: str
    version: int
    digest: str | None = None


@dataclass(frozen=True)
class ObjectReads:
    projects: ByIdReads
    tasks: ByIdReads
    tags: ByIdReads

    @classmethod
    def over(cls, pool: Pool, *, batched: bool = True) -> ObjectReads:
        kind = BatchedReads if batched else OneByOne
        return cls(
            kind(pool, queries.PROJECTS_WITH_TASKS),
            kind(pool, queries.TASKS_BY_ID),
            kind(pool, queries.TAGS_BY_ID),
        )

    async def project_with_tasks(self, tenant_id: UUID, project_id: UUID) -> Found | None:
        row = await self.projects.get(tenant_id, project_id)
        return Found(str(row[0]), int(row[2]), str(row[1])) if row else None

    async def task(self, tenant_id: UUID, task_id: UUID) -> Found | None:
        row = await self.tasks.get(tenant_id, task_id)
        return Found(str(row[0]), int(row[1])) if row else None

    async def tag(self, tenant_id: UUID, tag_id: UUID) -> Found | None:
        row = await self.tags.get(tenant_id, tag_id)
        return Found(str(row[0]), int(row[1])) if row else None

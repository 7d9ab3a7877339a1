"""What every read needs: the caller's tenant, a connection, and read-your-writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from psycopg_pool import AsyncConnectionPool

from services.query.position import PositionWatcher
from services.query.queries import Conn
from shared.auth import Caller, CallerDep
from shared.problems import Problem


@dataclass(frozen=True)
class Read:
    """A tenant-scoped read at a known projection position."""

    caller: Caller
    conn: Conn
    position: int

    def json(self, body: str, status_code: int = 200) -> Response:
        return Response(
            content=body,
            status_code=status_code,
            media_type="application/json",
            headers={"X-Projection-Position": str(self.position)},
        )


async def read(
    request: Request,
    caller: CallerDep,
    x_min_position: Annotated[int | None, Header(ge=0)] = None,
) -> AsyncIterator[Read]:
    watcher: PositionWatcher = request.app.state.watcher
    timeout: float = request.app.state.min_position_wait
    if x_min_position is not None and not await watcher.wait_for(x_min_position, timeout):
        raise Problem(
            503,
            "Service Unavailable",
            f"the read model has not reached position {x_min_position} within {timeout:g} s "
            f"(it is at {watcher.position}); retry shortly",
            headers={"Retry-After": "1", "X-Projection-Position": str(watcher.position)},
        )
    position = watcher.position
    pool: AsyncConnectionPool[Conn] = request.app.state.pool
    async with pool.connection() as conn:
        yield Read(caller, conn, position)


ReadDep = Annotated[Read, Depends(read)]

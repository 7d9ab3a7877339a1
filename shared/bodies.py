"""Request bodies, read whole before anything else sees them: a size limit, a time
limit, and a client that goes away mid-body.

uvicorn enforces none of these, and a request reaches our routes by several paths (the
plain routes read bodies themselves, FastAPI's handler reads them, the query service's
cached reads answer before any route). So this outermost middleware reads every body,
and the app gets it as one message:

- Over `max_bytes`: 413. A Content-Length over the limit is refused without reading
  the body into memory; a chunked body, once the bytes counted pass it. The body sent
  meanwhile is read and dropped, up to `DRAIN_FACTOR` times the limit, so that a
  client still sending it reads the answer rather than a reset connection; then the
  connection is closed. A client that asked `Expect: 100-continue` is answered at once.
- Not all there within `timeout` of the request's head: 408, and the connection is
  closed (a client that sends less than its Content-Length would otherwise hold it).
- The client went away before its body was complete: logged at debug level; nobody is
  left to answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.headers import natural
from shared.problems import Problem, problem_response
from shared.settings import Settings
from shared.swept_deadlines import SweptDeadlines

logger = logging.getLogger(__name__)
DRAIN_FACTOR = 4
_NO_BODY = -1
_INVALID = -2
_FRAMING = frozenset({b"content-length", b"transfer-encoding", b"expect"})


def limit_bodies(
    app: FastAPI, settings: Settings, answer_headers: AnswerHeaders | None = None
) -> None:
    """Outside every middleware added before it: none of them sees a body it did not
    get whole. `answer_headers` are added to the answers it gives itself."""
    app.add_middleware(
        BodyLimits,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout_seconds,
        answer_headers=answer_headers,
    )


AnswerHeaders = Callable[[Scope], Mapping[str, str]]


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


class _Late(Exception):
    pass


class BodyLimits:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout: float,
        answer_headers: AnswerHeaders | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self._answer_headers = answer_headers
        self._deadlines = SweptDeadlines(tick=min(1.0, timeout / 4))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, expects_continue = _framing(scope["headers"])
        if length == _NO_BODY:
            await self.app(scope, receive, send)
            return
        if length == _INVALID:
            problem = Problem(400, "Bad Request", "Content-Length must be a number of bytes")
            await self._answer(problem, scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.timeout
        try:
            if length > self.max_bytes:
                raise _TooLarge
            body = await self._before(deadline, _read(receive, self.max_bytes))
        except _TooLarge:
            await self._refuse_too_large(length, expects_continue, deadline, scope, receive, send)
            return
        except _Late:
            detail = f"the request's body did not arrive within {self.timeout:g} s"
            await self._answer(Problem(408, "Request Timeout", detail), scope, receive, send)
            return
        except _Gone:
            logger.debug(
                "client went away mid-body", extra={"path": scope["path"], "length": length}
            )
            return
        await self.app(scope, _replay(body, receive), send)

    async def _before(self, deadline: float, reading: Coroutine[Any, Any, bytes]) -> bytes:
        """What `reading` reads, or _Late once `deadline` has passed."""
        task = asyncio.current_task()
        assert task is not None
        self._deadlines.watch(task, deadline)
        try:
            return await reading
        except asyncio.CancelledError:
            if not self._deadlines.end(task):
                raise
            task.uncancel()
            raise _Late from None
        finally:
            self._deadlines.end(task)

    async def _refuse_too_large(
        self,
        length: int,
        expects_continue: bool,
        deadline: float,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if not expects_continue and length <= DRAIN_FACTOR * self.max_bytes:
            try:
                await self._before(
                    deadline, _read(receive, DRAIN_FACTOR * self.max_bytes, keep=False)
                )
            except (_TooLarge, _Late):
                pass
            except _Gone:
                return
        detail = f"the request's body is over the limit of {self.max_bytes} bytes"
        await self._answer(Problem(413, "Content Too Large", detail), scope, receive, send)

    async def _answer(self, problem: Problem, scope: Scope, receive: Receive, send: Send) -> None:
        """The problem, and the connection closed after it: what is left of the request's
        body would otherwise be read as the next request."""
        response = problem_response(problem)
        if self._answer_headers is not None:
            response.headers.update(self._answer_headers(scope))
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _framing(headers: list[tuple[bytes, bytes]]) -> tuple[int, bool]:
    """The body's Content-Length (0 for chunked), _NO_BODY or _INVALID; and whether the
    client waits for 100 Continue before sending it."""
    length, expects_continue = _NO_BODY, False
    for name, value in headers:
        if name not in _FRAMING:
            continue
        if name == b"content-length":
            parsed = natural(value.decode("latin-1"))
            length = _INVALID if parsed is None else parsed or _NO_BODY
        elif name == b"transfer-encoding" and length == _NO_BODY:
            length = 0
        elif name == b"expect":
            expects_continue = value.lower() == b"100-continue"
    return length, expects_continue


async def _read(receive: Receive, limit: int, *, keep: bool = True) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        if keep:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The whole body as the first message, then whatever the server says next (the
    client's disconnect)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay

"""Pulling the stream through nats-py's own pull subscription and `fetch`.

The way the projector pulls when the pull feed (pull_feed.py) is switched off
(`TASKSTREAM_FAST_PATHS_OFF=pull_feed`): the same consumer, the same batches, read the
library's way. One difference: `fetch` takes any message that carries a `Status` header
for the server's status reply, so a published message with such a header is dropped (a
stream sequence gap, logged) or ends the fetch with an error, where the pull feed hands it
over to be set aside as a dead letter.
"""

from __future__ import annotations

from types import TracebackType

from nats.js import JetStreamContext

from services.projector.intake.incoming import Incoming


class LibraryFeed:
    def __init__(
        self, js: JetStreamContext, stream: str, consumer: str, *, batch: int, expires: float
    ) -> None:
        self._js = js
        self._stream = stream
        self._consumer = consumer
        self._batch = batch
        self._expires = expires
        self._sub: JetStreamContext.PullSubscription | None = None

    async def __aenter__(self) -> LibraryFeed:
        self._sub = await self._js.pull_subscribe_bind(consumer=self._consumer, stream=self._stream)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()

    async def next_batch(self) -> list[Incoming]:
        """What one fetch delivers; [] when it expired with nothing to deliver."""
        assert self._sub is not None, "used outside its `async with`"
        try:
            messages = await self._sub.fetch(self._batch, timeout=self._expires)
        except TimeoutError:
            return []
        return [
            Incoming(m.metadata.sequence.stream, m.subject, m.data, m.headers or {})
            for m in messages
        ]

"""The projector's JetStream side: an in-order consumer resumed from the tracked sequence.

Stream sequences have no gaps, so resuming from "last applied sequence + 1" with one
consumer that never redelivers (no acks, so no nak or ack-timeout reordering: JetStream
redelivers a nakked or timed-out message after newer ones) can neither skip nor reorder
an event. The position committed with
the rows is the only cursor.

The consumer is pulled, not pushed: a push consumer (even an ordered one) that falls
behind a large backlog overflows the client's pending queue, drops the flow-control
request with the messages and stalls for good. A pull consumer delivers only what
each request asks for (intake/pull_feed.py).

The relay declares the stream; the projector waits for it (its NATS identity may read
the stream, not change it: shared/nats_identities.py).

This is the projector's composition root: its fast path (the pull feed) is switched
here by `fast`, from Settings.fast.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamInfo
from nats.js.errors import NotFoundError

from services.projector.intake.feeds import open_feed
from services.projector.intake.incoming import Incoming
from services.projector.intake.pull_feed import FeedError
from services.projector.store import ProjectionStore
from services.projector.tracking import Tracking
from shared.events.catalog import SUBJECT_PREFIX
from shared.fast_paths import FastPath
from shared.nats import ANONYMOUS, NatsCredentials, connect

logger = logging.getLogger(__name__)
# The server removes the consumer of a projector that died; a restarted one makes anew.
INACTIVE_THRESHOLD = 30.0
# How long one pull request lingers on a quiet stream before the next replaces it; a
# message that arrives meanwhile is handed over at once (intake/pull_feed.py).
FETCH_WAIT = 0.05
# How often a projector that started before the stream exists looks for it.
STREAM_POLL = 0.2


class Projector:
    def __init__(
        self,
        conninfo: str,
        nats_url: str,
        stream: str,
        *,
        batch_size: int = 2000,
        fast: Callable[[FastPath], bool] = lambda _: True,
        credentials: NatsCredentials = ANONYMOUS,
    ) -> None:
        self._conninfo = conninfo
        self._credentials = credentials
        self._fast = fast
        self._nats_url = nats_url
        self._stream = stream
        self._batch_size = batch_size
        self.tracking = Tracking(0, 0)
        self._consumed = False

    async def run(self) -> None:
        """Run until cancelled; any outage restarts from the committed position."""
        backoff = 0.2
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, NatsError, FeedError, OSError, TimeoutError) as e:
                logger.warning(
                    "projector interrupted; resuming from the committed position",
                    extra={"error": repr(e), "retry_in": backoff},
                )
            except Exception:
                # A defect, not an outage: reported in full, and the projector lives on,
                # since it resumes from the committed position.
                logger.exception(
                    "projector failed unexpectedly; resuming from the committed position",
                    extra={"retry_in": backoff},
                )
            await asyncio.sleep(backoff)
            backoff = 0.2 if self._consumed else min(backoff * 2, 5.0)
            self._consumed = False

    async def _consume(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
            store = ProjectionStore(conn)
            self.tracking = await store.tracking()
            nc = await connect(
                self._nats_url, name="taskstream-projector", credentials=self._credentials
            )
            try:
                js = nc.jetstream()
                start = self._start_sequence(await self._stream_info(js))
                config = ConsumerConfig(
                    deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                    opt_start_seq=start,
                    ack_policy=AckPolicy.NONE,
                    inactive_threshold=INACTIVE_THRESHOLD,
                    mem_storage=True,
                    filter_subject=f"{SUBJECT_PREFIX}.>",
                )
                consumer = await js.add_consumer(self._stream, config)
                logger.info(
                    "projector consuming",
                    extra={
                        "from_sequence": self.tracking.stream_sequence + 1,
                        "position": self.tracking.position,
                    },
                )
                async with open_feed(
                    nc,
                    self._stream,
                    str(consumer.name),
                    batch=self._batch_size,
                    expires=FETCH_WAIT,
                    fast=self._fast(FastPath.PULL_FEED),
                ) as feed:
                    while True:
                        batch = self._in_order(await feed.next_batch())
                        self._consumed = True
                        if batch:
                            self.tracking = await store.apply(batch, self.tracking)
            finally:
                await nc.close()

    async def _stream_info(self, js: JetStreamContext) -> StreamInfo:
        """The stream's state, once the relay has declared it."""
        announced = False
        while True:
            try:
                return await js.stream_info(self._stream)
            except NotFoundError:
                if not announced:
                    logger.info(
                        "waiting for the relay to create the stream",
                        extra={"stream": self._stream},
                    )
                    announced = True
                await asyncio.sleep(STREAM_POLL)

    def _start_sequence(self, info: StreamInfo) -> int:
        """After the tracked sequence, unless the stream was recreated (it now ends before
        that sequence): then from its first message, skipping the positions already held."""
        if info.state.last_seq >= self.tracking.stream_sequence:
            return self.tracking.stream_sequence + 1
        logger.warning(
            "the stream ends before the tracked sequence: it was recreated; "
            "reading it from the start and skipping the positions already applied",
            extra={"tracked": self.tracking.stream_sequence, "last": info.state.last_seq},
        )
        self.tracking = Tracking(max(info.state.first_seq, 1) - 1, self.tracking.position)
        return self.tracking.stream_sequence + 1

    def _in_order(self, messages: list[Incoming]) -> list[Incoming]:
        """Drops what is already applied; a gap means the stream lost messages."""
        expected = self.tracking.stream_sequence + 1
        batch = []
        for incoming in messages:
            if incoming.stream_sequence < expected:
                continue
            if incoming.stream_sequence > expected:
                logger.error(
                    "stream sequence gap: messages were removed from the stream before "
                    "they were applied; run `taskstream rebuild` to restore the read model",
                    extra={"expected": expected, "got": incoming.stream_sequence},
                )
            batch.append(incoming)
            expected = incoming.stream_sequence + 1
        return batch

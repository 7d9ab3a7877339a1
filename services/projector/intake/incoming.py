"""A message as the projector receives it from the stream, before anything is trusted."""

from __future__ import annotations

from typing import NamedTuple


class Incoming(NamedTuple):
    """(A tuple: the feed makes one per message, and a frozen dataclass cost a microsecond
    of the projector's twenty per event.)"""

    stream_sequence: int
    subject: str
    payload: bytes
    headers: dict[str, str]

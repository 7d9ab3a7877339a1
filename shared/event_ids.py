"""Event ids: derived from (aggregate id, version), never drawn at random.

A republished event keeps its id, so JetStream and subscribers can deduplicate it, and
the projector can tell whether a message's id is the one the store's event has.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

EVENT_ID_NAMESPACE = UUID("5d1b9f3e-8c4a-4e57-9a57-2f0c6a1e7b10")
_NAMESPACE = EVENT_ID_NAMESPACE.bytes
# A name-based UUID's variant digit: the hash's digit with its top bits made 10.
_VARIANT = {f"{n:x}": f"{n & 0x3 | 0x8:x}" for n in range(16)}


def event_id_text(aggregate_id: str, version: int) -> str:
    """The event's id: `uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}:{version}")` for a
    canonically spelled aggregate id, as text. Spelled out: the relay and the projector
    spell every event's id, and the standard library's uuid5 builds and checks UUID
    objects around one hash."""
    name = f"{aggregate_id}:{version}".encode()
    h = hashlib.sha1(_NAMESPACE + name, usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"

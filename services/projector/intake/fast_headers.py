"""NATS message headers read without nats-py's cost per character.

nats-py 2.16 checks every header name for whitespace with a generator, a character at a
time (`Client._parse_header_lines`). Each stream message carries two headers (the
relay's `Nats-Msg-Id` and `Nats-Expected-Last-Sequence`, kept by JetStream), and that
check cost the projector more per message than checking the message against the event
store does. `parse_header_lines` is the same parsing with the whitespace check made by
`str.split`, in a fraction of the time; `use_on` makes a connected client use it.
It knows a private method of nats-py, pinned to 2.16: tests/unit/test_fast_headers.py
holds it equal to the library's own on any header block.
"""

from __future__ import annotations

from nats.aio.client import Client

_CRLF = b"\r\n"


def parse_header_lines(raw: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in raw.split(_CRLF):
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        try:
            key = name.strip().decode("ascii")
        except UnicodeDecodeError:
            continue
        # No whitespace in the name (str.split splits where str.isspace() is true).
        if key and key.split() != [key]:
            continue
        out[key] = value.strip().decode("utf-8", "replace")
    return out


def use_on(nc: Client) -> None:
    """From now on `nc` reads headers with `parse_header_lines` (the library calls it
    through the instance, as a static method)."""
    nc._parse_header_lines = parse_header_lines  # type: ignore[method-assign]

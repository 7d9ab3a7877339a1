"""The projector's header parsing is nats-py's own, result for result (nats-py 2.16)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.aio.client import Client

from services.projector.intake.fast_headers import parse_header_lines

TYPICAL = [
    b"Nats-Msg-Id: 5d1b9f3e-8c4a-5e57-9a57-2f0c6a1e7b10\r\nNats-Expected-Last-Sequence: 9\r\n\r\n",
    b"Status: 404\r\nDescription: No Messages\r\n\r\n",
    b"Name:Value\r\nName2:\tValue\r\n bad name: x\r\nno colon\r\n: empty name\r\n\r\n",
    b"K\xc3\xa9y: v\r\nKey: v\xff\xfe\r\nA\x1fB: x\r\nA\x0bB: y\r\n",
]
PIECES = st.sampled_from(
    [
        b"Key",
        b"Nats-Msg-Id",
        b":",
        b": ",
        b"\t",
        b" ",
        b"\r\n",
        b"\x1f",
        b"\x0b",
        b"\xc3\xa9",
        b"\xff",
        b"v",
        b"1",
    ]
)


def test_typical_and_odd_header_blocks_read_as_the_library_reads_them() -> None:
    for raw in TYPICAL:
        assert parse_header_lines(raw) == Client._parse_header_lines(raw), raw


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=80), st.lists(PIECES, max_size=30).map(b"".join)))
def test_any_header_block_reads_as_the_library_reads_it(raw: bytes) -> None:
    assert parse_header_lines(raw) == Client._parse_header_lines(raw)


def test_every_ascii_character_in_a_name_or_a_value_reads_as_the_library_reads_it() -> None:
    for char in map(chr, range(128)):
        c = char.encode()
        for raw in (b"A" + c + b"B: v\r\n", c + b": v\r\n", b"A: " + c + b"\r\n"):
            assert parse_header_lines(raw) == Client._parse_header_lines(raw), raw

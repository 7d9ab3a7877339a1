"""Claiming a port for one service (shared/port_claims.py), against real sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from shared.port_claims import PortTaken, claim_port


@pytest.fixture
def port() -> Iterator[int]:
    """A port no socket holds, as far as the kernel knows now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free: int = s.getsockname()[1]
    yield free


def test_a_claimed_port_is_refused_to_a_second_claim_until_released(port: int) -> None:
    first = claim_port("127.0.0.1", port, "TASKSTREAM_QUERY_PORT")
    with pytest.raises(PortTaken, match=f"port {port} .*TASKSTREAM_QUERY_PORT=<port>"):
        claim_port("127.0.0.1", port, "TASKSTREAM_QUERY_PORT")
    first.release()
    claim_port("127.0.0.1", port, "TASKSTREAM_QUERY_PORT").release()


@pytest.mark.parametrize("reuse_port", [True, False])
def test_a_port_any_socket_listens_on_is_refused(port: int, reuse_port: bool) -> None:
    """With SO_REUSEPORT, as another stack's worker binds it, or without."""
    with socket.socket() as held:
        if reuse_port:
            held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        held.bind(("127.0.0.1", port))
        held.listen()
        with pytest.raises(PortTaken, match=f"port {port} on 127.0.0.1 is already in use"):
            claim_port("127.0.0.1", port, "TASKSTREAM_COMMAND_PORT")
    claim_port("127.0.0.1", port, "TASKSTREAM_COMMAND_PORT").release()


def test_our_workers_can_still_share_a_claimed_port(port: int) -> None:
    claim = claim_port("127.0.0.1", port, "TASKSTREAM_QUERY_PORT")
    try:
        workers = [socket.socket() for _ in range(2)]
        for worker in workers:
            worker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            worker.bind(("127.0.0.1", port))
            worker.listen()
        for worker in workers:
            worker.close()
    finally:
        claim.release()

"""One service per port: a second one (another stack's, say) refuses to start.

Our workers bind with SO_REUSEPORT (shared/serving.py), which lets any process of the
same user join the port: the kernel would split requests between two stacks. So the
supervisor claims the port first, for its lifetime: a Unix socket bound to a name for
host and port in Linux's abstract namespace, which only one process can hold (so two
starting at the same moment cannot both pass), then a probe bound without
SO_REUSEPORT, which fails while any socket holds the port. An abstract name belongs to
the network namespace, as ports do, and goes with its holder however it ends: no file
is left behind, and none can be stale.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from shared.settings import ConfigurationError


class PortTaken(ConfigurationError):
    """The message names the port and the setting that chooses another."""


@dataclass
class PortClaim:
    """Held while the service runs."""

    lock: socket.socket

    def release(self) -> None:
        self.lock.close()


def claim_port(host: str, port: int, setting: str) -> PortClaim:
    """The port for this service alone, or PortTaken saying how to choose another."""
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        lock.bind(f"\0taskstream-port-{host}:{port}")
    except OSError as e:
        lock.close()
        if e.errno != errno.EADDRINUSE:
            raise
        raise PortTaken(
            f"port {port} on {host} is taken by another taskstream service, running or"
            f" starting; stop it, or choose another port with {setting}=<port>"
        ) from None
    try:
        probe_port(host, port, setting)
    except PortTaken:
        lock.close()
        raise
    return PortClaim(lock)


def probe_port(host: str, port: int, setting: str) -> None:
    """PortTaken if any socket holds the port (SO_REUSEADDR only lets a port whose last
    connections are in TIME_WAIT be bound again, as restarts need)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            raise PortTaken(
                f"port {port} on {host} is already in use (another taskstream stack, or"
                f" another program); stop it, or choose another port with {setting}=<port>"
            ) from None


def port_setting(service: str) -> str:
    """The setting that chooses the service's port."""
    return f"TASKSTREAM_{service.upper()}_PORT"

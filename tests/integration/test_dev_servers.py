"""The embedded servers behind `taskstream dev` and the test harness."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from services.dev.processes import process_name


def test_postgres_keeps_its_data_across_a_restart(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pg", fast=True)
    url = server.start()
    try:
        db = server.create_database("kept")
        assert server.create_database("kept") == db
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (v int); INSERT INTO t VALUES (42)")
    finally:
        server.stop()
    assert url.startswith("postgresql://postgres@127.0.0.1:")

    again = EmbeddedPostgres(tmp_path / "pg", fast=True)
    again.start()
    try:
        with psycopg.connect(again.create_database("kept")) as conn:
            assert conn.execute("SELECT v FROM t").fetchone() == (42,)
    finally:
        again.stop()


def _orphan_postgres(data_dir: Path) -> int:
    """Starts a server from a child process that is then killed, as a killed runner would."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from services.dev.postgres import EmbeddedPostgres
        server = EmbeddedPostgres(Path({str(data_dir)!r}), fast=True)
        server.start()
        print(server._process.pid, flush=True)
        signal.pause()
        """
    )
    runner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert runner.stdout is not None
    pid = int(runner.stdout.readline())
    runner.kill()
    runner.wait()
    return pid


def test_a_killed_runner_leaves_no_postgres_and_the_next_start_works(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    old_pid = _orphan_postgres(data_dir)
    server = EmbeddedPostgres(data_dir, fast=True)
    server.start()
    try:
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert process_name(old_pid) in (None, "")
    finally:
        server.stop()
    assert not (data_dir / "postmaster.pid").exists()


def test_nats_restarts_on_the_same_port_with_its_streams(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    url = server.start()
    try:
        assert server.restart() == url
        server.kill()
        assert server.start() == url
    finally:
        server.stop()
    assert server._process is None


def test_a_nats_left_behind_is_stopped_by_the_next_start(tmp_path: Path) -> None:
    first = EmbeddedNats(tmp_path / "nats")
    first.start()
    assert first._process is not None
    orphan = first._process.pid
    first._process = None
    second = EmbeddedNats(tmp_path / "nats", port=first.port)
    second.start()
    try:
        assert process_name(orphan) in (None, "")
    finally:
        second.stop()
        if process_name(orphan):
            os.kill(orphan, signal.SIGKILL)

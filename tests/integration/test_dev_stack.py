"""`taskstream dev` announces itself only once its APIs answer (services/dev/stack.py)."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from services.dev.stack import _wait_until_answering


def never() -> bool:
    return False


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def running() -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        yield {"service": child}
    finally:
        child.kill()
        child.wait()


def test_ready_once_every_api_answers(
    api: str, running: dict[str, subprocess.Popen[bytes]]
) -> None:
    assert _wait_until_answering((api, api), running, never, timeout=5)


def test_not_ready_while_an_api_is_silent(
    api: str, running: dict[str, subprocess.Popen[bytes]]
) -> None:
    silent = "http://127.0.0.1:9"  # discard port: nothing answers
    assert not _wait_until_answering((api, silent), running, never, timeout=0.5)


def test_not_ready_when_a_service_exited(api: str) -> None:
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    assert not _wait_until_answering((api,), {"service": exited}, never, timeout=5)

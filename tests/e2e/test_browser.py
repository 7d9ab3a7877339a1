"""A real browser on another origin: a page served from its own port creates a project
through the command API and reads it back through the query API, at the position the
command answered, as a front end would. It proves CORS for real: the preflight of a
POST with X-Tenant-Token, and the exposed X-Event-Position and Location.

Headless Chromium from Debian's package `chromium` (`make test` installs it); the page
reports what it saw by a POST to its own origin.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.client import Tenant
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e
STACK_SETTINGS = {"cors_origins": "http://127.0.0.1:*"}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PAGE = """<!doctype html>
<title>taskstream from a browser</title>
<script>
const given = new URLSearchParams(location.search);
const token = given.get("token");
const report = (what) => fetch("/report", {method: "POST", body: JSON.stringify(what)});

async function roundTrip() {
  const created = await fetch(given.get("command") + "/api/v1/projects", {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Tenant-Token": token},
    body: JSON.stringify({name: "From a browser"}),
  });
  const position = created.headers.get("X-Event-Position");
  const location = created.headers.get("Location");
  const project = await created.json();
  let read;
  for (let tries = 0; tries < 20; tries++) {
    read = await fetch(location, {headers: {"X-Tenant-Token": token, "X-Min-Position": position}});
    if (read.status !== 503) break;
  }
  return {
    created: created.status, position, location, id: project.id,
    read: read.status, name: (await read.json()).name,
    projection: read.headers.get("X-Projection-Position"), etag: read.headers.get("ETag"),
  };
}
roundTrip().then(report, (error) => report({error: String(error)}));
</script>
"""


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[str, queue.Queue[dict[str, Any]]]]:
    """The page's origin, on a port of its own, and what the page reports."""
    reports: queue.Queue[dict[str, Any]] = queue.Queue()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            reports.put(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", reports
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def chromium() -> str:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(
            f"{CHROMIUM} not found: the browser test needs Debian's package chromium "
            "(`make test` installs it when run as root; else `sudo apt-get install chromium`)"
        )
    return CHROMIUM


def test_a_page_on_another_origin_creates_a_project_and_reads_it_back(
    stack: Stack,
    page: tuple[str, queue.Queue[dict[str, Any]]],
    chromium: str,
    tmp_path: Path,
) -> None:
    origin, reports = page
    tenant = Tenant(stack)
    given = {
        "command": stack.command_url,
        "token": tenant.headers["X-Tenant-Token"],
    }
    browser = subprocess.Popen(
        [
            chromium,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"{origin}/?{urlencode(given)}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "chromium.log").open("wb"),
        start_new_session=True,
    )
    try:
        try:
            seen = reports.get(timeout=60)
        except queue.Empty:
            log = (tmp_path / "chromium.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"the page reported nothing within 60 s:\n{log}") from None
    finally:
        os.killpg(browser.pid, signal.SIGTERM)
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()
    assert "error" not in seen, seen
    assert seen["created"] == 201
    assert seen["location"] == f"{stack.query_url}/api/v1/projects/{seen['id']}"
    assert int(seen["position"]) > 0
    assert (seen["read"], seen["name"]) == (200, "From a browser")
    assert int(seen["projection"]) >= int(seen["position"])
    assert seen["etag"]

"""Serving an API on several processes that share one port.

`uvicorn --workers N` hands every connection to one worker here (uvicorn issue 3149).
Instead each worker binds its own SO_REUSEPORT socket, so the kernel spreads
connections across workers, each running uvicorn's own httptools protocol. A service may
also run companion processes beside its workers (the command service's relay). Before
any starts, the port is claimed for this service alone (shared/port_claims.py), or the
service refuses to start; the workers' metrics are summed in a directory made for this
start (shared/metrics_directory.py). The parent only supervises: it forwards
SIGINT/SIGTERM and stops the others if one process dies. A child whose supervisor is
gone is killed outright (SIGKILL): nobody is left to stop it if its graceful shutdown
hangs.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from shared import logs
from shared.heap import freeze_startup_heap
from shared.http_protocol import limited_protocol
from shared.lifetime import end_with_parent
from shared.metrics_directory import summed_across_processes
from shared.port_claims import claim_port, port_setting
from shared.settings import Settings

logger = logging.getLogger(__name__)
STOP_SECONDS = 20.0


Companion = Callable[[Settings], None]
"""A process of the service beside its HTTP workers (a module-level function, as spawn
pickles it by name); it runs until SIGTERM or SIGINT."""


def serve(
    factory: str,
    settings: Settings,
    port: int,
    workers: int,
    service: str,
    companions: Sequence[Companion] = (),
) -> int:
    """`factory` is "module:function" taking Settings and returning the ASGI app.
    PortTaken, before anything starts, if another process holds the port."""
    claim = claim_port(settings.host, port, port_setting(service))
    try:
        with summed_across_processes(service):
            if workers <= 1 and not companions:
                _worker(factory, settings, port, service)
                return 0
            return _serve_processes(factory, settings, port, workers, service, companions)
    finally:
        claim.release()


def _serve_processes(
    factory: str,
    settings: Settings,
    port: int,
    workers: int,
    service: str,
    companions: Sequence[Companion],
) -> int:
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(
            target=_worker, args=(factory, settings, port, service), name=f"{service}-{n}"
        )
        for n in range(workers)
    ] + [
        context.Process(
            target=_companion, args=(run, settings, service), name=f"{service}-{run.__name__}"
        )
        for run in companions
    ]
    for process in processes:
        process.start()
    return _supervise(processes)


def _worker(factory: str, settings: Settings, port: int, service: str) -> None:
    if multiprocessing.parent_process() is not None:
        end_with_parent(signal.SIGKILL)
    logs.configure(service, settings.log_level)
    module, _, name = factory.partition(":")
    create_app: Callable[[Settings], Any] = getattr(importlib.import_module(module), name)
    config = uvicorn.Config(
        create_app(settings),
        http=limited_protocol(settings.max_url_bytes, settings.max_header_bytes),
        loop="uvloop",
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((settings.host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    logger.info("listening", extra={"host": settings.host, "port": port, "pid": os.getpid()})
    freeze_startup_heap()
    uvicorn.Server(config).run(sockets=[sock])


def _companion(run: Companion, settings: Settings, service: str) -> None:
    end_with_parent(signal.SIGKILL)
    logs.configure(service, settings.log_level)
    logger.info("started", extra={"companion": run.__name__, "pid": os.getpid()})
    run(settings)


def _supervise(processes: Sequence[BaseProcess]) -> int:
    """Until a signal or a child's exit; then every child gets SIGTERM and, past
    STOP_SECONDS in all, SIGKILL. A graceful shutdown can hang (uvicorn waits for the
    app's lifespan without a bound), and a supervisor that waited for it forever was
    then killed by whoever stopped it, leaving the child behind."""
    stopping: list[int] = []

    def forward(signum: int, _: object) -> None:
        stopping.append(signum)
        for process in processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    while not stopping and all(p.is_alive() for p in processes):
        time.sleep(0.2)
    if not stopping:
        logger.error("a worker or companion exited; stopping the others")
        forward(signal.SIGTERM, None)
        stopping.clear()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(timeout=max(deadline - time.monotonic(), 0.0))
    for process in processes:
        if process.is_alive():
            logger.warning(
                "did not stop in time; killed", extra={"child": process.name, "pid": process.pid}
            )
            process.kill()
            process.join()
    return 0 if stopping else 1

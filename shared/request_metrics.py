"""Every answer counted and timed, by route template: the outermost middleware.

Outside everything else, so it counts what answers before any route runs too: the
body limits' 413 and 408, the read gate's refusals, the answer cache's hits. Their
path is matched against the app's route templates here (one alternation of every
template, tried once), not taken from the router, which they never reach; a path no
route has is `unmatched`, so ids and scanners' guesses never make a series. Each answer
is tallied in the process and written a moment later (shared/tallied_metrics.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator

from starlette.routing import BaseRoute, Route, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.summed_metrics import counter, histogram
from shared.tallied_metrics import Tallies, flush_counters

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
KNOWN_PATHS = 1024
"""Paths remembered with their template: the fixed ones (a list, a POST) are asked for
again and again; paths with ids fill the rest once and are matched afresh."""
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = counter(
    "http_requests",
    "HTTP answers, by route template, method and status",
    ("service", "route", "method", "status"),
)
DURATION = histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival to its answer's last byte, by route template and method",
    ("service", "route", "method"),
    BUCKETS,
)


class RouteTemplates:
    """The template of the first route whose path matches, in the app's order."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._templates: list[str] = []
        patterns = []
        for path in _paths(routes):
            if path not in self._templates:
                regex = compile_path(path)[0].pattern
                patterns.append(f"(?P<r{len(self._templates)}>{_ungrouped(regex)})")
                self._templates.append(path)
        self._any = re.compile("|".join(patterns) or r"(?!)")
        self._known: dict[str, str] = {}

    def of(self, path: str) -> str:
        known = self._known.get(path)
        if known is not None:
            return known
        match = self._any.match(path)
        if match is None or match.lastgroup is None:
            template = UNMATCHED
        else:
            template = self._templates[int(match.lastgroup[1:])]
        if len(self._known) < KNOWN_PATHS:
            self._known[path] = template
        return template


def _paths(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[str]:
    """Every route's path template, in order. FastAPI keeps the routes of an included
    router in that router (`original_router`, under its include's prefix)."""
    for route in routes:
        if isinstance(route, Route):
            yield prefix + route.path
        elif (router := getattr(route, "original_router", None)) is not None:
            context = getattr(route, "include_context", None)
            yield from _paths(router.routes, prefix + getattr(context, "prefix", ""))


def _ungrouped(regex: str) -> str:
    """The route's regex with its named groups unnamed, as names repeat across routes."""
    return re.sub(r"\(\?P<\w+>", "(?:", regex)


class RequestMetrics:
    def __init__(self, app: ASGIApp, *, service: str, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self._service = service
        self._routes = routes
        self._templates: RouteTemplates | None = None
        self.tallies = Tallies(BUCKETS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._flushed_at_shutdown(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            self._count(scope, status, time.perf_counter() - started)

    def _count(self, scope: Scope, status: int, seconds: float) -> None:
        if self._templates is None:
            # Routes are all added by the first request; a router's are copied in late.
            self._templates = RouteTemplates(self._routes)
        method = scope["method"] if scope["method"] in METHODS else "other"
        key = (self._templates.of(scope["path"]), method, status)
        if not self.tallies.known(key):
            route = key[0]
            self.tallies.add_series(
                key,
                REQUESTS.labels(self._service, route, method, str(status)),
                DURATION.labels(self._service, route, method),
            )
        self.tallies.add(key, seconds)

    def _flushed_at_shutdown(self, send: Send) -> Send:
        async def flushing(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                self.tallies.flush()
                flush_counters()
            await send(message)

        return flushing

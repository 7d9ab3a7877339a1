"""What caches may do with an answer, said once per service for every answer it gives.

The query API's answers depend on the caller's token, which travels in a header a
shared cache does not key on by default: `private, no-cache` keeps them out of shared
caches and has a browser revalidate (its ETag makes that a 304), and `Vary` names the
headers the answer depends on. The command API's answers are the outcome of one write
and are never to be reused: `no-store`. Every query answer names Accept-Encoding in its
Vary too, compressed or not (shared/compression.py runs only for callers that accept
gzip, so it cannot say so on the others). An answer that already says (a route's own
Cache-Control) is left alone; a Vary it carries follows ours, without repeats.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

READS = (b"private, no-cache", b"X-Tenant-Token, Authorization, Accept-Encoding")
WRITES = (b"no-store", b"")


def as_headers(caching: tuple[bytes, bytes]) -> dict[str, str]:
    """For an answer given outside CacheHeaders (a refused body)."""
    cache_control, vary = caching
    headers = {"Cache-Control": cache_control.decode()}
    return headers | ({"Vary": vary.decode()} if vary else {})


class CacheHeaders:
    def __init__(self, app: ASGIApp, *, cache_control: bytes, vary: bytes) -> None:
        self.app = app
        self._cache_control = cache_control
        self._vary = vary
        self._ours = [(b"cache-control", cache_control)] + ([(b"vary", vary)] if vary else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_cache_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._added(message.get("headers", []))
            await send(message)

        await self.app(scope, receive, with_cache_headers)

    def _added(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        theirs: list[bytes] = []
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"cache-control":
                return headers
            if lowered == b"vary":
                theirs.append(value)
        if not theirs:
            return [*headers, *self._ours]
        kept = [(n, v) for n, v in headers if n.lower() != b"vary"]
        vary: dict[bytes, bytes] = {}
        for value in [self._vary, *theirs]:
            for name in value.split(b","):
                if name.strip():
                    vary.setdefault(name.strip().lower(), name.strip())
        kept.append((b"cache-control", self._cache_control))
        if vary:
            kept.append((b"vary", b", ".join(vary.values())))
        return kept

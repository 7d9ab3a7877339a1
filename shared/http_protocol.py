"""uvicorn's httptools protocol with limits on a request's head, answered as problems.

Pinned to uvicorn 0.55 and httptools 0.9 (tests/unit/test_http_protocol.py runs it on
the installed versions). Neither limits a request line or its header fields: httptools
keeps a header's value in memory until the value ends, however long, and uvicorn
answers a URL its parser cannot split (65,535 bytes and over) with a text/plain 400.
This subclass counts the URL the parser hands it (`on_url`), the bytes of a head still
incomplete, and a large head's fields once they are all in, and refuses past the limits
with 414 or 431; every request
uvicorn refuses as malformed is a 400 problem document rather than plain text. The
connection is closed after each of these answers, as uvicorn does for its own 400.
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from shared.problems import MEDIA_TYPE, problem_body

TITLES = {400: "Bad Request", 414: "URI Too Long", 431: "Request Header Fields Too Large"}


class _Refused(Exception):
    """Stops the parser; the answer is `HeadLimits._refusal`."""


class HeadLimits(HttpToolsProtocol):
    """Subclassed per service by `limited_protocol`, with the limits as class attributes."""

    max_url_bytes = 8192
    max_header_bytes = 16384

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusal: tuple[int, str] | None = None
        self._in_head = True
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return
        self._head_bytes += len(data)
        super().data_received(data)
        if self._refusal is not None or not self._in_head:
            self._head_bytes = 0
            return
        if self._head_bytes > self.max_url_bytes + self.max_header_bytes:
            self._refuse(*self._over())

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.max_url_bytes:
            self._stop(*self._over())

    def on_headers_complete(self) -> None:
        self._in_head = False
        # The bytes seen since the last head ended bound this head's fields: only a
        # head that large has them counted.
        if self._head_bytes > self.max_header_bytes:
            fields = sum(len(name) + len(value) + 4 for name, value in self.headers)
            if fields > self.max_header_bytes:
                self._stop(431, self._header_detail())
        super().on_headers_complete()

    def _over(self) -> tuple[int, str]:
        """The refusal for a head past a limit; the URL's, when it is the one over."""
        if len(self.url) > self.max_url_bytes:
            return (
                414,
                f"the request's URL is over the limit of {self.max_url_bytes} bytes; "
                "send fewer or shorter query parameters",
            )
        return 431, self._header_detail()

    def _header_detail(self) -> str:
        return f"the request's header fields are over the limit of {self.max_header_bytes} bytes"

    def _stop(self, status: int, detail: str) -> None:
        """Raised in a parser callback, which uvicorn answers with send_400_response."""
        self._refusal = (status, detail)
        raise _Refused

    def _refuse(self, status: int, detail: str) -> None:
        self._refusal = (status, detail)
        self.send_400_response(detail)

    def send_400_response(self, msg: str) -> None:
        """uvicorn calls this for every request it cannot parse; a refusal of ours
        raised in a parser callback arrives here too."""
        status, detail = self._refusal or (
            400,
            "the request is not valid HTTP/1.1; check its request line and header fields",
        )
        self._refusal = (status, detail)
        body = json.dumps(problem_body(status, TITLES[status], detail)).encode()
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: " + MEDIA_TYPE.encode() + b"\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()


def limited_protocol(max_url_bytes: int, max_header_bytes: int) -> type[HeadLimits]:
    """The protocol class to give uvicorn (`Config(http=...)`) for these limits."""
    return type(
        "HeadLimits",
        (HeadLimits,),
        {"max_url_bytes": max_url_bytes, "max_header_bytes": max_header_bytes},
    )

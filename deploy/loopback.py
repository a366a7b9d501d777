"""A loopback HTTP server on a thread of its own, and the one request handler its stand-ins use:
what the stand-ins of API Gateway, of Lambda's Invoke and of the CDN share."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# What a stand-in makes of one request (the handler, for its method, path, headers and client,
# and the body read): the status, the headers and the body to send back.
Answer = Callable[[BaseHTTPRequestHandler, bytes], tuple[int, list[tuple[str, str]], bytes]]


class LoopbackServer:
    """`handler_class` served on 127.0.0.1 at a free port, from start() to stop()."""

    def __init__(self, handler_class: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_port

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def reply(handler: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]],
          data: bytes) -> None:
    """Status, headers (a Content-Length of the body unless one is given) and the body, which a
    HEAD leaves out."""
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    if not any(name.lower() == "content-length" for name, _ in headers):
        handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(data)


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request's body, sent with a Content-Length or chunked (as boto3 may)."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if not size:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def handler_class(answer: Answer) -> type[BaseHTTPRequestHandler]:
    """A handler answering every method with `answer`, over HTTP/1.1 (connections kept, as a
    browser and boto3 expect), logging nothing: each stand-in keeps its own record."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            reply(self, *answer(self, read_body(self)))

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler

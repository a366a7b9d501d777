"""A loopback HTTP server on a thread of its own, and the one way its handlers answer: what
the stand-ins of API Gateway and of Lambda's Invoke share."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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

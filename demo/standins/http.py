"""The stand-ins' HTTP plumbing: the loopback server, its handler, one reply, the request log."""

from __future__ import annotations

import base64
import sys
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from demo.standins.server import StandIns


@dataclass(frozen=True)
class Request:
    """One request the stand-ins answered."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    source: str  # strava, withings, sheets (Google's token endpoint counts as sheets), other
    kind: str  # data, token, authorize
    at: float  # the stand-ins' clock


@dataclass
class Reply:
    """One answer: a JSON body (or `raw` bytes as they are) and its headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


class Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (a sync killed on purpose, a timeout) is what a
        real provider sees too: nothing to print. Anything else is printed as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    standins: StandIns
    protocol_version = "HTTP/1.1"
    server_version = "PulseboardStandIn/1.0"
    # Headers and body go out in two writes; with Nagle's algorithm on, the second waits for
    # the client's delayed ACK on a kept-alive connection: ~40 ms added to every answer.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, out_headers, raw = self.standins.handle(self.command, self.path, headers, body)
        except Exception as exc:  # a stand-in bug must show as a 500, not a hung client
            status, out_headers = 500, {"Content-Type": "text/plain"}
            raw = f"stand-in error: {exc!r}".encode()
        self.send_response(status)
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is `StandIns.log`


def pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    if value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


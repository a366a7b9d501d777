"""CloudFront on loopback for the dashboard stage: requests routed by deploy/cdn.py's table to the
published static folder on S3 (a moto server) or to the function (a LocalGateway), as the
distribution routes them, so a browser test and the cold-visit bench see the cloud's shape and
can count what reached the function."""

from __future__ import annotations

import gzip
import http.client
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from deploy.cdn import FUNCTION_ORIGIN, STATIC_ORIGIN, Table, viewer_response
from deploy.local_gateway import HOP_BY_HOP
from deploy.loopback import LoopbackServer, handler_class

# What CloudFront compresses when a behaviour says Compress (and the viewer accepts gzip): these
# types, from 1,000 bytes to 10,000,000, when the origin sent them unencoded.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml",
                "application/xml", "font/")
COMPRESS_MIN_BYTES, COMPRESS_MAX_BYTES = 1_000, 10_000_000
GZIP_LEVEL = 6
# The S3 answer's headers a viewer gets (the rest is S3's own bookkeeping).
S3_HEADERS = {"content-type", "content-encoding", "cache-control", "etag", "last-modified",
              "content-language", "content-disposition", "expires"}
CONDITIONAL = ("if-none-match", "if-modified-since")
TIMEOUT_S = 120


@dataclass(frozen=True)
class CdnExchange:
    """One request the stand-in answered, as CloudFront's access log would show it."""

    method: str
    path: str  # as the browser asked
    origin: str  # STATIC_ORIGIN, FUNCTION_ORIGIN, or "edge" (answered without an origin)
    role: str  # the route's: static, shell, redirect, function
    status: int
    elapsed_s: float


class LocalCdn:
    """Serves `http://127.0.0.1:<port>/…` by `routes` (under `prefix`): the static origin is
    `static_base` (where the blobs prefix is on S3, e.g. `<moto>/<bucket>/<blobs prefix>`), the
    function origin `function_url` (a LocalGateway's address). Both `routes` and `function_url`
    may be set after the CDN is made and before its first request: the function's settings and
    the published shells name the CDN's own address. Immutable objects are kept at the edge once
    fetched; the rest is fetched each time (S3 answers 304 to the browser's revalidation).
    `log` lists every exchange."""

    def __init__(self, prefix: str, static_base: str, routes: Table | None = None,
                 function_url: str = "") -> None:
        self.prefix = prefix
        self.routes = routes
        self.static_base = static_base.rstrip("/")
        self.function_url = function_url
        self.log: list[CdnExchange] = []
        self._edge: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self._gzipped: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handler_class())

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def url(self) -> str:
        """The dashboard's address behind the CDN (the routes' prefix)."""
        return self.origin + self.prefix

    def reaching_function(self, since: int = 0) -> list[CdnExchange]:
        return [e for e in self.log[since:] if e.origin == FUNCTION_ORIGIN]

    # --- origins -------------------------------------------------------------------------
    @staticmethod
    def _send(base: str, method: str, path: str, headers: list[tuple[str, str]],
              body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(base)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port,
                                                timeout=TIMEOUT_S)
        try:
            connection.request(method, parts.path.rstrip("/") + path, body=body or None,
                               headers=dict(_merge(headers)))
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()

    def _static(self, method: str, path: str,
                headers: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        if method not in ("GET", "HEAD"):
            return 403, [("Content-Type", "text/plain")], \
                b"This distribution is not configured to allow the HTTP request method", True
        with self._lock:
            kept = self._edge.get(path)
        if kept is not None:
            return (*kept, True)
        asked = [(n, v) for n, v in headers if n.lower() in CONDITIONAL]
        status, got, data = self._send(self.static_base, "GET", path, asked, b"")
        out = [(n, v) for n, v in got if n.lower() in S3_HEADERS or n.lower().startswith(
            "x-amz-meta-")]
        out = list(viewer_response(dict(out)).items())  # every bucket behaviour has it
        if status == 200 and "immutable" in dict((n.lower(), v) for n, v in out).get(
                "cache-control", ""):
            with self._lock:
                self._edge[path] = (status, out, data)
        return status, out, data, False

    def _compress(self, path: str, headers: list[tuple[str, str]], data: bytes,
                  accepted: str) -> tuple[list[tuple[str, str]], bytes]:
        named = {n.lower(): v for n, v in headers}
        kind = named.get("content-type", "")
        if ("gzip" not in accepted or "content-encoding" in named
                or not kind.startswith(COMPRESSIBLE)
                or not COMPRESS_MIN_BYTES <= len(data) <= COMPRESS_MAX_BYTES):
            return headers, data
        key = (path, named.get("etag", ""))
        with self._lock:
            packed = self._gzipped.get(key)
        if packed is None:
            packed = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
            with self._lock:
                self._gzipped[key] = packed
        return [*headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")], packed

    def answer(self, method: str, target: str, headers: list[tuple[str, str]],
               body: bytes) -> tuple[int, list[tuple[str, str]], bytes, str, str]:
        """(status, headers, body, origin, role) for one viewer request."""
        if self.routes is None or self.routes.prefix != self.prefix:
            raise RuntimeError(f"LocalCdn: set routes (a table under {self.prefix}) first")
        parts = urlsplit(target)
        path = parts.path
        if "/../" in path + "/" or "/./" in path + "/":
            return 400, [("Content-Type", "text/plain")], b"Bad request", "edge", "none"
        route = self.routes.route(path)
        forward = self.routes.forward(path, parts.query)
        if forward.location:
            return 301, [("Location", forward.location), ("Content-Length", "0")], b"", \
                "edge", route.role
        if forward.origin == STATIC_ORIGIN:
            status, out, data, hit = self._static(method, forward.path, headers)
            accepted = next((v for n, v in headers if n.lower() == "accept-encoding"), "")
            out, data = self._compress(forward.path, out, data, accepted)
            out.append(("X-Cache", f"{'Hit' if hit else 'Miss'} from local-cdn"))
            return status, out, data, "edge" if hit else STATIC_ORIGIN, route.role
        if not self.function_url:
            raise RuntimeError("LocalCdn: set function_url (the gateway's address) first")
        query = f"?{parts.query}" if parts.query else ""
        sent = [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP | {"host"}]
        gateway = urlsplit(self.function_url)  # the viewer's path carries the stage already
        status, got, data = self._send(f"{gateway.scheme}://{gateway.netloc}", method,
                                       forward.path + query, sent, body)
        out = [(n, v) for n, v in got if n.lower() not in HOP_BY_HOP]
        out.append(("X-Cache", "Miss from local-cdn"))
        return status, out, data, FUNCTION_ORIGIN, route.role

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        def answer(request: BaseHTTPRequestHandler,
                   body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            t0 = time.perf_counter()
            status, headers, data, origin, role = self.answer(
                request.command, request.path, list(request.headers.items()), body)
            self.log.append(CdnExchange(request.command, urlsplit(request.path).path, origin,
                                        role, status, time.perf_counter() - t0))
            return status, headers, data

        return handler_class(answer)

    def __enter__(self) -> LocalCdn:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()


def _merge(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Repeated request headers as one, comma-joined (Cookie with '; '), as HTTP allows."""
    merged: dict[str, tuple[str, str]] = {}
    for name, value in headers:
        key = name.lower()
        if key in merged:
            glue = "; " if key == "cookie" else ", "
            merged[key] = (merged[key][0], merged[key][1] + glue + value)
        else:
            merged[key] = (name, value)
    return list(merged.values())

"""Gzip for the dashboard's answers: callbacks' figures are JSON that shrinks five to ten times,
and every byte of a Lambda answer crosses API Gateway (base64, as Zappa sends encoded bodies)."""

from __future__ import annotations

import gzip

import flask

# Below this, gzip's header and a base64 round trip cost more than they save.
MIN_BYTES = 1024
LEVEL = 5  # level 9 spends three times the CPU for 2-3 % fewer bytes
COMPRESSIBLE = ("application/json", "text/html", "text/css", "application/javascript",
                "text/javascript", "text/plain", "image/svg+xml")


def wants_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (a `q=0` refuses it)."""
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def compress(response: flask.Response) -> flask.Response:
    """The response gzipped when the browser takes it and it is worth it; else as it was."""
    response.vary.add("Accept-Encoding")
    if (response.direct_passthrough or response.is_streamed
            or "Content-Encoding" in response.headers
            or response.mimetype not in COMPRESSIBLE or response.status_code < 200
            or response.status_code in (204, 304)
            or not wants_gzip(flask.request.headers.get("Accept-Encoding", ""))):
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def install(server: flask.Flask) -> None:
    server.after_request(compress)

"""Cross-site requests: a token per session for forms, the browser's word for every post."""

from __future__ import annotations

import hmac
import secrets

import flask


def token() -> str:
    """This session's token (made on first use)."""
    found = flask.session.get("csrf")
    if not found:
        found = secrets.token_urlsafe(24)
        flask.session["csrf"] = found
    return str(found)


def valid(sent: str) -> bool:
    """Whether a form carried this session's token."""
    expected = str(flask.session.get("csrf", ""))
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def cross_site(request: flask.Request) -> bool:
    """Whether the browser says this request comes from another site. Browsers send
    Sec-Fetch-Site themselves (a page cannot forge it), else Origin; a client that sends
    neither is not a browser riding someone's cookie. Behind API Gateway the Host header is the
    gateway's own, so it is what Origin is compared with."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    return origin != f"{scheme}://{request.host}"

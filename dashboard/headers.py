"""The web's defences on every answer: content policy, framing, sniffing, referrer, HSTS, cache."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import flask

from dashboard import config as dashboard_config

# Package bundles, plotly.js, the stylesheet and icon: the same for everyone, cacheable.
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")
HSTS_MAX_AGE_S = 365 * 24 * 3600
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)([^>]*)>(.*?)</script>", re.S)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def inline_script_hashes(page: str) -> list[str]:
    """CSP sources for the page's own inline scripts (Dash writes its renderer's start and the
    clientside callbacks inline): each allowed by its hash, so no other inline script runs."""
    found: dict[str, None] = {}  # in page order, each once
    for attributes, body in _INLINE_SCRIPT.findall(page):
        if 'type="application/json"' in attributes:
            continue  # data, never run
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        found[f"'sha256-{digest}'"] = None
    return list(found)


def policy(config: dashboard_config.DashboardConfig, script_hashes: list[str]) -> str:
    """The Content-Security-Policy: this server and the published assets' origin only; framed
    by this site and the embedders the owner allows (PULSEBOARD_EMBED_ORIGINS)."""
    assets = _origin(config.assets_url)
    own = " ".join(filter(None, ["'self'", assets]))
    # The running page's map tiles: fetched by MapLibre's workers, drawn as images.
    tiles = " ".join(filter(None, [own, config.tile_origin]))
    directives = {
        "default-src": "'self'",
        "script-src": " ".join([own, *script_hashes]),
        # Plotly and React set styles at run time; styles cannot run code.
        "style-src": f"{own} 'unsafe-inline'",
        "img-src": f"{tiles} data: blob:",
        "font-src": f"{own} data:",
        "connect-src": tiles,
        # The map (MapLibre, inside plotly.js) draws in workers it makes from blobs.
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "frame-ancestors": " ".join(["'self'", *config.embed_origins]),
        "base-uri": "'self'",
        "form-action": "'self'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


# What marks a page shell (dashboard/static_hosting.py's `shell_html`): the same for every
# visitor, so it may be kept by a cache, but checked again each time (it changes per release).
SHELL_MARK = '<script id="_pulseboard-shell" type="application/json">'
SHELL_CACHE_CONTROL = "no-cache"


def referrer_policy(config: dashboard_config.DashboardConfig) -> str:
    # OpenStreetMap's tile policy requires a Referer: with its tiles on, other sites get this
    # site's origin (never a path or query); without them, nothing.
    return "strict-origin-when-cross-origin" if config.tile_origin else "same-origin"


def shell_headers(config: dashboard_config.DashboardConfig, html: str) -> dict[str, str]:
    """The headers a page shell is served with, by this server and by the published copy (a
    CDN in front of the bucket sets the same): its inline scripts allowed by hash, nosniff, the
    referrer policy, and revalidated on every use."""
    return {
        "Content-Security-Policy": policy(config, inline_script_hashes(html)),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": referrer_policy(config),
        "Cache-Control": SHELL_CACHE_CONTROL,
    }


def _https(request: flask.Request) -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
    return request.is_secure or forwarded == "https"


def install(server: flask.Flask) -> None:
    @server.after_request
    def defend(response: flask.Response) -> flask.Response:
        request = flask.request
        hashes = []
        page = ""
        if response.mimetype == "text/html" and not response.direct_passthrough:
            page = response.get_data(as_text=True)
            hashes = inline_script_hashes(page)
        config = dashboard_config.current()
        response.headers["Content-Security-Policy"] = policy(config, hashes)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = referrer_policy(config)
        if _https(request):
            response.headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_S}"
        if SHELL_MARK in page and response.status_code == 200:
            response.headers.update(shell_headers(config, page))
        elif not request.path.startswith(STATIC_PREFIXES):
            # Pages, layouts and callbacks carry the owner's data: never kept by a cache.
            response.headers["Cache-Control"] = "no-store"
        return response

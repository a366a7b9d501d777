"""Serving a WSGI app on this machine: waitress, a production server in pure Python."""

from __future__ import annotations

from typing import Any

from core.errors import UsageError

THREADS = 8  # a page view fires a few callbacks at once; Lambda has one per container


def serve(app: Any, host: str, port: int, name: str) -> None:
    """Serves `app` until interrupted (Ctrl-C raises KeyboardInterrupt, as it would anywhere)."""
    try:
        from waitress.server import create_server
    except ImportError:
        raise UsageError("waitress is not installed: pip install waitress (make venv installs "
                         "it)") from None
    # ident names the server in its answers; no X-Forwarded-* header is trusted from a client.
    server = create_server(app, host=host, port=port, threads=THREADS, ident=name,
                           clear_untrusted_proxy_headers=True)
    server.run()

"""A WSGI app (the api, with its webhooks) on a loopback port, for the stand-ins to call back."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server


class Callback:
    """Serves `app` on 127.0.0.1 in a thread; `url(path)` is where a provider would call."""

    def __init__(self, app: Any, port: int = 0) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Callback:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

"""`connect <source>`: the first OAuth authorization, caught on a loopback redirect."""

from __future__ import annotations

import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from collectors.common import Counts, SyncError
from collectors.http import Http
from collectors.sources.base import Source
from collectors.tokens import Token, TokenRejected, Tokens
from core.errors import UsageError
from storage import events

DEFAULT_PORT = 8765


class _Catcher(BaseHTTPRequestHandler):
    """Answers the provider's redirect back to us and keeps its query."""

    query: dict[str, str] | None = None
    got: threading.Event

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if "code" not in params and "error" not in params:
            self.send_response(404)
            self.end_headers()
            return
        type(self).query = params
        body = (b"<html><body><p>Pulseboard is connected. You can close this tab.</p>"
                b"</body></html>" if "code" in params else
                b"<html><body><p>Authorization was not given.</p></body></html>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        type(self).got.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def connect(
    source: Source,
    config: Any,
    store: Any,
    port: int = DEFAULT_PORT,
    open_browser: Callable[[str], Any] | None = webbrowser.open,
    timeout_s: float = 300.0,
    out: Callable[[str], None] = print,
    session: requests.Session | None = None,
    clock: Callable[[], float] = time.time,
) -> Token:
    """Walks a person through the first authorization and stores the token pair."""
    oauth = source.oauth
    if oauth is None:
        raise UsageError(f"{source.title} needs no authorization: sync it directly")
    if not config.configured:
        upper = source.name.upper()
        raise SyncError(
            f"set PULSEBOARD_{upper}_CLIENT_ID and PULSEBOARD_{upper}_CLIENT_SECRET (from the "
            f"{source.title} developer settings of your app) first"
        )
    catcher: type[_Catcher] = type("Catcher", (_Catcher,),
                                   {"query": None, "got": threading.Event()})
    try:
        server = HTTPServer(("127.0.0.1", port), catcher)
    except OSError as exc:
        raise SyncError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); pass --port with "
                        "another port registered as the app's redirect") from None
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
    state = secrets.token_urlsafe(16)
    url = oauth.authorize_url(config, redirect_uri, state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        out(f"Open this address, sign in to {source.title} and allow access:\n\n  {url}\n")
        out(f"Waiting for the redirect to {redirect_uri} (the app's callback domain must be "
            "127.0.0.1) …")
        if open_browser is not None:
            open_browser(url)
        if not catcher.got.wait(timeout_s):
            raise SyncError(f"no redirect came back within {timeout_s:.0f} s; run the command "
                            "again and finish the authorization in the browser")
    finally:
        server.shutdown()
        server.server_close()
    query = catcher.query or {}
    if query.get("state") != state:
        raise SyncError("the redirect carried another state than the one sent; run the command "
                        "again (and only follow the address it prints)")
    if "error" in query:
        raise SyncError(f"{source.title} did not grant access ({query['error']}); run the "
                        "command again and allow access")
    token = complete(source, config, store, query["code"], redirect_uri, session, clock,
                     again=f"run `python -m collectors connect {source.name}` again")
    out(f"{source.title} connected; the token is stored. Run `python -m collectors sync "
        f"--source {source.name}`.")
    return token


def complete(
    source: Source,
    config: Any,
    store: Any,
    code: str,
    redirect_uri: str,
    session: requests.Session | None = None,
    clock: Callable[[], float] = time.time,
    again: str = "connect it again",
) -> Token:
    """The second half of a first authorization, wherever the redirect was caught (this
    command's loopback catcher, the local dashboard's callback): the code traded for the first
    token pair, stored where every sync reads it."""
    oauth = source.oauth
    if oauth is None:
        raise UsageError(f"{source.title} needs no authorization: sync it directly")
    http = Http(source.title, Counts(source.name), session, config.timeout_s)
    try:
        token = oauth.exchange(config, code, redirect_uri, http, clock())
    except TokenRejected as exc:
        raise SyncError(
            f"{source.title} refused the authorization code ({exc}); check the client id "
            f"and secret settings and {again}"
        ) from None
    Tokens(store, source.name, refresh=lambda _: token).save(token)
    # A deauthorization recorded by a push event ends here: the source syncs again.
    store.delete_doc(events.CONNECTION_SPACE, source.name)
    return token

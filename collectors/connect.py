"""`connect strava|withings`: the first OAuth authorization, caught on a loopback redirect."""

from __future__ import annotations

import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from collectors.common import Counts, Http, SyncError
from collectors.tokens import Token, TokenRejected, Tokens

DEFAULT_PORT = 8765
WITHINGS_ACCOUNT = "https://account.withings.com"
WITHINGS_API_DEFAULT = "https://wbsapi.withings.net"
STRAVA_SCOPE = "read,activity:read_all"  # activity:read_all also lists "only me" activities
WITHINGS_SCOPE = "user.metrics"


def authorize_url(source: str, current: Any, redirect_uri: str, state: str) -> str:
    if source == "strava":
        from collectors.strava import oauth_url

        query = {
            "client_id": current.strava_client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "approval_prompt": "auto",
            "scope": STRAVA_SCOPE,
            "state": state,
        }
        return f"{oauth_url(current.strava_url)}/authorize?{urlencode(query)}"
    # Withings' consent page is on its account host, not the API host.
    api = current.withings_url.rstrip("/")
    host = WITHINGS_ACCOUNT if api == WITHINGS_API_DEFAULT else api
    query = {
        "response_type": "code",
        "client_id": current.withings_client_id,
        "scope": WITHINGS_SCOPE,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    return f"{host}/oauth2_user/authorize2?{urlencode(query)}"


def exchange(source: str, current: Any, code: str, redirect_uri: str, http: Http,
             clock: Callable[[], float] = time.time) -> Token:
    """Trades the one-time code for the first token pair."""
    try:
        if source == "strava":
            from collectors import strava

            response = http.request("POST", strava.oauth_url(current.strava_url) + "/token", data={
                "client_id": current.strava_client_id,
                "client_secret": current.strava_client_secret,
                "code": code,
                "grant_type": "authorization_code",
            })
            return strava.token_from(response)
        from collectors import withings

        response = http.request("POST", current.withings_url.rstrip("/") + "/v2/oauth2", data={
            "action": "requesttoken",
            "grant_type": "authorization_code",
            "client_id": current.withings_client_id,
            "client_secret": current.withings_client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        })
        return withings.token_from(response, clock())
    except TokenRejected as exc:
        raise SyncError(
            f"{source.capitalize()} refused the authorization code ({exc}); check the client id "
            f"and secret settings and run `python -m collectors connect {source}` again"
        ) from None


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
    source: str,
    store: Any,
    port: int = DEFAULT_PORT,
    open_browser: Callable[[str], Any] | None = webbrowser.open,
    timeout_s: float = 300.0,
    out: Callable[[str], None] = print,
    session: requests.Session | None = None,
) -> Token:
    """Walks a person through the first authorization and stores the token pair."""
    import settings

    current = settings.get()
    client_id = getattr(current, f"{source}_client_id")
    secret = getattr(current, f"{source}_client_secret")
    if not (client_id and secret):
        upper = source.upper()
        raise SyncError(
            f"set PULSEBOARD_{upper}_CLIENT_ID and PULSEBOARD_{upper}_CLIENT_SECRET (from the "
            f"{source.capitalize()} developer settings of your app) first"
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
    url = authorize_url(source, current, redirect_uri, state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        out(f"Open this address, sign in to {source.capitalize()} and allow access:\n\n  {url}\n")
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
        raise SyncError(f"{source.capitalize()} did not grant access ({query['error']}); run the "
                        "command again and allow access")
    http = Http(source.capitalize(), Counts(source), session, current.request_timeout_s)
    token = exchange(source, current, query["code"], redirect_uri, http)
    Tokens(store, source, refresh=lambda _: token).save(token)
    out(f"{source.capitalize()} connected; the token is stored. Run `python -m collectors sync "
        f"--source {source}`.")
    return token

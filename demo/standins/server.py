"""The stand-ins' one loopback server: lifecycle, addresses and settings, routing, request log."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from demo.athlete import Athlete
from demo.standins.faults import SOURCES, Faults
from demo.standins.google import GoogleStandIn, service_account_key
from demo.standins.http import Handler, Reply, Request, Server, bearer
from demo.standins.oauth import TokenChain, consent
from demo.standins.push import Push
from demo.standins.strava import STRAVA_SCOPE, StravaStandIn
from demo.standins.withings import WithingsStandIn


class StandIns:
    """One threaded HTTP server on 127.0.0.1 answering as Strava, Withings and Google Sheets."""

    def __init__(
        self,
        athlete: Athlete,
        *,
        rotate_refresh: bool = True,
        refresh_grace: bool = False,
        port: int = 0,
        withings_page_size: int = 200,
        clock: Callable[[], float] = time.time,
        sheet_title: str = "Log",
    ) -> None:
        self.athlete = athlete
        self.rotate_refresh = rotate_refresh
        self.port = port
        self.withings_page_size = withings_page_size
        self.clock = clock
        self.sheet_title = sheet_title
        self.faults = Faults()
        self.log: list[Request] = []
        self._log_lock = threading.Lock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._tmp: Path | None = None
        self.strava = StravaStandIn(self, rotate_refresh, refresh_grace)
        self.withings = WithingsStandIn(self, rotate_refresh, refresh_grace, withings_page_size)
        self.google = GoogleStandIn(self, sheet_title)
        self.push = Push(self, lambda: self.clock())
        # What a provider's developer console shows, as the settings need it.
        self.strava_client_id = self.strava.client_id
        self.strava_client_secret = self.strava.client_secret
        self.strava_refresh_token = self.strava.tokens.refresh
        self.withings_client_id = self.withings.client_id
        self.withings_client_secret = self.withings.client_secret
        self.withings_userid = self.withings.userid
        self.withings_refresh_token = self.withings.tokens.refresh
        self.sheets_id = self.google.sheet_id
        self.sheets_range = f"{sheet_title}!A1:E"
        self.google_client_email = self.google.client_email
        self.google_credentials_path: Path | None = None


    def start(self) -> StandIns:
        if self._server is not None:
            return self
        self.google.key = service_account_key()
        handler = type("Handler", (Handler,), {"standins": self})
        server = Server(("127.0.0.1", self.port), handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self.port = server.server_address[1]
        self._tmp = Path(tempfile.mkdtemp(prefix="pulseboard-standins-"))
        self.google_credentials_path = self._tmp / "service-account.json"
        self.google_credentials_path.write_text(json.dumps(self.google.service_account(), indent=2))
        self.google_credentials_path.chmod(0o600)
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> StandIns:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses and settings ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def strava_url(self) -> str:
        return f"{self.base_url}/strava/api/v3"

    @property
    def strava_token_url(self) -> str:
        return f"{self.base_url}/strava/oauth/token"

    @property
    def strava_authorize_url(self) -> str:
        return f"{self.base_url}/strava/oauth/authorize"

    @property
    def withings_url(self) -> str:
        return f"{self.base_url}/withings"

    @property
    def withings_authorize_url(self) -> str:
        return f"{self.withings_url}/oauth2_user/authorize2"

    @property
    def sheets_url(self) -> str:
        return f"{self.base_url}/sheets/v4"

    @property
    def google_token_url(self) -> str:
        return f"{self.base_url}/google/token"

    def current_refresh_token(self, source: str) -> str:
        """The refresh token the stand-in accepts now (after any rotations)."""
        return self._chain(source).refresh

    def expire_access_tokens(self, source: str) -> None:
        """Makes every access token of `source` invalid, as after a password change."""
        if source == "sheets":
            self.google.expire_access()
        else:
            self._chain(source).expire_access()

    def authorization_code(self, source: str) -> str:
        """A fresh one-time code, as the provider's consent page would redirect with."""
        return self._chain(source).new_code()

    def _chain(self, source: str) -> TokenChain:
        return {"strava": self.strava.tokens, "withings": self.withings.tokens}[source]

    def env(self) -> dict[str, str]:
        """Every PULSEBOARD_* setting the collectors need to talk to these stand-ins."""
        if self.google_credentials_path is None:
            raise RuntimeError("start the stand-ins before asking for their settings")
        return {
            "PULSEBOARD_STRAVA_URL": self.strava_url,
            "PULSEBOARD_STRAVA_CLIENT_ID": self.strava_client_id,
            "PULSEBOARD_STRAVA_CLIENT_SECRET": self.strava_client_secret,
            "PULSEBOARD_STRAVA_REFRESH_TOKEN": self.current_refresh_token("strava"),
            "PULSEBOARD_WITHINGS_URL": self.withings_url,
            "PULSEBOARD_WITHINGS_CLIENT_ID": self.withings_client_id,
            "PULSEBOARD_WITHINGS_CLIENT_SECRET": self.withings_client_secret,
            "PULSEBOARD_WITHINGS_REFRESH_TOKEN": self.current_refresh_token("withings"),
            # The setting is the API host; clients add `/v4/spreadsheets/...` as Google's do.
            "PULSEBOARD_SHEETS_URL": self.sheets_url.removesuffix("/v4"),
            "PULSEBOARD_GOOGLE_CREDENTIALS": str(self.google_credentials_path),
            "PULSEBOARD_SHEETS_ID": self.sheets_id,
            "PULSEBOARD_SHEETS_RANGE": self.sheets_range,
        }

    # -- the request log ----------------------------------------------------------------------

    def requests(self, source: str, kind: str | None = None) -> int:
        """How many requests `source` answered (of one `kind`: data, token, authorize)."""
        with self._log_lock:
            return sum(
                1 for r in self.log if r.source == source and (kind is None or r.kind == kind)
            )

    def strava_usage(self) -> tuple[int, int]:
        """Strava calls counted in the current 15-minute window and UTC day (the stand-ins'
        clock), as its rate-limit headers would say."""
        fifteen, day = self.strava.usage.peek(self.clock())
        return fifteen, day

    def clear_log(self) -> None:
        with self._log_lock:
            self.log.clear()

    def _record(self, entry: Request) -> None:
        with self._log_lock:
            self.log.append(entry)

    # -- dispatch -------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        params = dict(query)
        if body and "json" not in headers.get("content-type", ""):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        source, kind, reply = self._route(method, path, params, headers)
        raw = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        out_headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
        if kind == "data" and source in SOURCES and self.faults.take_truncation(source):
            raw = raw[: len(raw) // 2]
        self._record(Request(method, path, query, reply.status, source, kind, self.clock()))
        return reply.status, out_headers, raw

    def _route(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[str, str, Reply]:
        token = bearer(headers)
        if path.startswith("/strava/"):
            sub = path.removeprefix("/strava")
            if sub == "/oauth/authorize":
                return "strava", "authorize", consent(self.strava.tokens, params, STRAVA_SCOPE)
            if sub.startswith("/api/v3/push_subscriptions"):
                return "strava", "push", self.push.strava(method, sub, params)
            kind = "token" if sub == "/oauth/token" else "data"
            return "strava", kind, self.strava.call(method, sub, params, token, kind)
        if path.startswith("/withings/"):
            sub = path.removeprefix("/withings")
            if sub == "/oauth2_user/authorize2":
                return "withings", "authorize", consent(self.withings.tokens, params)
            if sub == "/notify":
                return "withings", "push", self.push.withings(params, token)
            kind = "token" if sub == "/v2/oauth2" else "data"
            return "withings", kind, self.withings.call(sub, params, token, kind)
        if path == "/google/token":
            return "sheets", "token", self.google.token(method, params)
        if path.startswith("/sheets/v4/"):
            return "sheets", "data", self.google.sheets_call(method, path, params, token)
        return "other", "data", Reply(404, {"error": f"nothing at {path}"})

"""Loopback stand-ins for the Strava, Withings and Google Sheets APIs, serving an athlete."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import random
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from demo.athlete import Athlete, start_epoch

SOURCES = ("strava", "withings", "sheets")

STRAVA_ACCESS_S = 6 * 3600
WITHINGS_ACCESS_S = 3 * 3600
GOOGLE_ACCESS_S = 3600
STRAVA_LIMITS = (200, 2000)  # overall requests per 15 min, per day
STRAVA_READ_LIMITS = (100, 1000)
WITHINGS_PER_MINUTE = 120
SHEETS_PER_MINUTE = 60  # read requests per minute per user
# google-auth signs for Google's own token endpoint whatever the key file's token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SHEETS_SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive",
)
STREAM_KEYS = ("time", "distance", "latlng", "altitude", "velocity_smooth", "heartrate")


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
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


# ---------------------------------------------------------------------------------------------
# Faults


class Faults:
    """What the stand-ins should get wrong, per source; safe to change while requests run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._rate_after: dict[str, list[int]] = {}  # source -> [allowed, used]
            self._fail: dict[str, dict[str, Any]] = {}
            self._reject: set[str] = set()
            self._slow: dict[str, float] = {}
            self._truncate: dict[str, int] = {}
            self._inactive = False
            self._bad_streams: set[int] = set()
            self.read_limits = STRAVA_READ_LIMITS
            self.limits = STRAVA_LIMITS

    def rate_limit_after(self, source: str, n: int) -> None:
        """The next `n` data calls to `source` pass; later ones get its rate-limit answer."""
        with self._lock:
            self._rate_after[_known(source)] = [n, 0]

    def fail_5xx(
        self,
        source: str,
        times: int | None = 1,
        *,
        probability: float | None = None,
        seed: int = 0,
        status: int = 503,
    ) -> None:
        """The next `times` data calls fail with HTTP `status`; or, with `probability`, each call
        fails with that chance (seeded, so a test sees the same sequence every run). For Withings
        a status outside 500-599 (e.g. 2555) is sent as a body status in an HTTP 200."""
        with self._lock:
            self._fail[_known(source)] = {
                "left": None if probability is not None else times,
                "p": probability,
                "rng": random.Random(seed),
                "status": status,
            }

    def reject_tokens(self, source: str) -> None:
        """Every token request to `source` is refused as an invalid refresh token or grant."""
        with self._lock:
            self._reject.add(_known(source))

    def slow(self, source: str, seconds: float) -> None:
        with self._lock:
            self._slow[_known(source)] = seconds

    def truncate_json(self, source: str, times: int = 1) -> None:
        """The next `times` data answers are cut off halfway through their JSON."""
        with self._lock:
            self._truncate[_known(source)] = times

    def inactive_app(self, inactive: bool = True) -> None:
        """Strava answers 403 'application is inactive' (owner without a subscription)."""
        with self._lock:
            self._inactive = inactive

    def bad_streams(self, activity_id: int, bad: bool = True) -> None:
        """Strava's streams of this activity come with a distance series one sample short of
        the time series (unreadable), until called again with `bad=False`."""
        with self._lock:
            if bad:
                self._bad_streams.add(activity_id)
            else:
                self._bad_streams.discard(activity_id)

    def set_read_limits(self, fifteen_min: int, daily: int) -> None:
        """Strava's read (non-upload) limits; the overall limits stay at least as high."""
        with self._lock:
            self.read_limits = (fifteen_min, daily)
            self.limits = (max(fifteen_min, self.limits[0]), max(daily, self.limits[1]))

    # -- asked by the server --------------------------------------------------------------------

    def delay(self, source: str) -> float:
        with self._lock:
            return self._slow.get(source, 0.0)

    def inactive(self) -> bool:
        with self._lock:
            return self._inactive

    def rejects(self, source: str) -> bool:
        with self._lock:
            return source in self._reject

    def streams_bad(self, activity_id: int) -> bool:
        with self._lock:
            return activity_id in self._bad_streams

    def take_failure(self, source: str) -> int | None:
        with self._lock:
            fail = self._fail.get(source)
            if fail is None:
                return None
            if fail["p"] is not None:
                return fail["status"] if fail["rng"].random() < fail["p"] else None
            if fail["left"] is None or fail["left"] > 0:
                if fail["left"] is not None:
                    fail["left"] -= 1
                return fail["status"]
            return None

    def take_rate_limited(self, source: str) -> bool:
        with self._lock:
            rule = self._rate_after.get(source)
            if rule is None:
                return False
            rule[1] += 1
            return rule[1] > rule[0]

    def take_truncation(self, source: str) -> bool:
        with self._lock:
            left = self._truncate.get(source, 0)
            if left > 0:
                self._truncate[source] = left - 1
                return True
            return False


def _known(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    return source


# ---------------------------------------------------------------------------------------------
# OAuth state


class _Tokens:
    """One user's token chain at a provider: refresh tokens that rotate, access tokens that expire;
    an access token stays good after a refresh until the newer one is first used."""

    def __init__(self, prefix: str, lifetime_s: int, rotate: bool, clock: Callable[[], float],
                 grace: bool = False):
        # grace: as Withings documents, a replaced refresh token keeps working until the new
        # access token is first used (the default is harsher: it dies at once).
        self.grace = grace
        self.previous_refresh: str | None = None
        self.prefix = prefix
        self.lifetime_s = lifetime_s
        self.rotate = rotate
        self.clock = clock
        self.lock = threading.Lock()
        self.refresh = self._new("refresh")
        self.access: dict[str, float] = {}  # token -> expires at
        self.current: str | None = None
        self.codes: set[str] = set()

    def _new(self, kind: str) -> str:
        return f"{self.prefix}-{kind}-{secrets.token_hex(16)}"

    def grant_refresh(self, refresh_token: str) -> tuple[str, str, int] | None:
        with self.lock:
            if secrets.compare_digest(refresh_token, self.refresh):
                return self._issue()
            if self.previous_refresh and secrets.compare_digest(refresh_token,
                                                                 self.previous_refresh):
                return self._issue()
            return None

    def grant_code(self, code: str) -> tuple[str, str, int] | None:
        with self.lock:
            if code not in self.codes:
                return None
            self.codes.discard(code)
            self.refresh = self._new("refresh")
            return self._issue(force=True)

    def new_code(self) -> str:
        with self.lock:
            code = self._new("code")
            self.codes.add(code)
            return code

    def _issue(self, force: bool = False) -> tuple[str, str, int]:
        now = self.clock()
        if self.rotate:
            if self.grace and self.previous_refresh is None:
                self.previous_refresh = self.refresh
            self.refresh = self._new("refresh")
        elif not force and self.current and self.access.get(self.current, 0) - now > 3600:
            # Strava hands back the same access token while it has more than an hour left.
            return self.current, self.refresh, int(self.access[self.current])
        token = self._new("access")
        expires_at = int(now) + self.lifetime_s
        self.access[token] = expires_at
        if self.current is not None and self.current not in self.access:
            self.current = None
        previous = self.current
        self.current = token
        # The previous access token keeps working until this one is used (see `check`).
        self.access = {t: e for t, e in self.access.items() if t in (token, previous)}
        return token, self.refresh, expires_at

    def check(self, access_token: str | None) -> bool:
        if not access_token:
            return False
        with self.lock:
            expires_at = self.access.get(access_token)
            if expires_at is None or expires_at <= self.clock():
                return False
            if access_token == self.current:
                self.access = {access_token: expires_at}
                self.previous_refresh = None  # the new pair is in use: the old one dies
            return True

    def expire_access(self) -> None:
        with self.lock:
            self.access.clear()
            self.current = None


class _Window:
    """Counts calls in fixed clock windows (e.g. 15 min and a UTC day)."""

    def __init__(self, *lengths_s: int) -> None:
        self.lengths = lengths_s
        self.keys = [-1] * len(lengths_s)
        self.counts = [0] * len(lengths_s)
        self.lock = threading.Lock()

    def add(self, now: float) -> list[int]:
        with self.lock:
            for i, length in enumerate(self.lengths):
                key = int(now // length)
                if key != self.keys[i]:
                    self.keys[i], self.counts[i] = key, 0
                self.counts[i] += 1
            return list(self.counts)

    def peek(self, now: float) -> list[int]:
        with self.lock:
            return [
                count if int(now // length) == key else 0
                for length, key, count in zip(self.lengths, self.keys, self.counts, strict=True)
            ]


# ---------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (a sync killed on purpose, a timeout) is what a
        real provider sees too: nothing to print. Anything else is printed as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tmp: Path | None = None

        self.strava_client_id = str(80_000 + athlete.seed % 10_000)
        self.strava_client_secret = secrets.token_hex(20)
        self.withings_client_id = secrets.token_hex(32)
        self.withings_client_secret = secrets.token_hex(32)
        self.withings_userid = 37_000_000 + athlete.seed
        self.sheets_id = "1Pb" + hashlib.sha256(f"sheet-{athlete.seed}".encode()).hexdigest()[:41]
        self.sheets_range = f"{sheet_title}!A1:E"
        self.google_client_email = "pulseboard-reader@pulseboard-demo.iam.example"
        clock_now = lambda: self.clock()  # noqa: E731 - follows a clock swapped in later
        self._strava = _Tokens("strava", STRAVA_ACCESS_S, rotate_refresh, clock_now,
                               refresh_grace)
        self._withings = _Tokens("withings", WITHINGS_ACCESS_S, rotate_refresh, clock_now,
                                 refresh_grace)
        self._google: dict[str, float] = {}
        self._google_lock = threading.Lock()
        self.strava_refresh_token = self._strava.refresh
        self.withings_refresh_token = self._withings.refresh
        self._strava_usage = _Window(900, 86_400)
        self._withings_usage = _Window(60)
        self._sheets_usage = _Window(60)
        self._key: rsa.RSAPrivateKey | None = None
        self.google_credentials_path: Path | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> StandIns:
        if self._server is not None:
            return self
        self._key = _service_account_key()
        handler = type("Handler", (_Handler,), {"standins": self})
        server = _Server(("127.0.0.1", self.port), handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self.port = server.server_address[1]
        self._tmp = Path(tempfile.mkdtemp(prefix="pulseboard-standins-"))
        self.google_credentials_path = self._tmp / "service-account.json"
        self.google_credentials_path.write_text(json.dumps(self._service_account(), indent=2))
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
        return {"strava": self._strava, "withings": self._withings}[source].refresh

    def expire_access_tokens(self, source: str) -> None:
        """Makes every access token of `source` invalid, as after a password change."""
        if source == "sheets":
            with self._google_lock:
                self._google.clear()
        else:
            {"strava": self._strava, "withings": self._withings}[source].expire_access()

    def authorization_code(self, source: str) -> str:
        """A fresh one-time code, as the provider's consent page would redirect with."""
        return {"strava": self._strava, "withings": self._withings}[source].new_code()

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
        fifteen, day = self._strava_usage.peek(self.clock())
        return fifteen, day

    def clear_log(self) -> None:
        with self._log_lock:
            self.log.clear()

    def _record(self, entry: Request) -> None:
        with self._log_lock:
            self.log.append(entry)

    # -- Google service account -----------------------------------------------------------------

    def _service_account(self) -> dict[str, str]:
        assert self._key is not None
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": "pulseboard-demo",
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": self.google_client_email,
            "client_id": str(100_000_000_000_000_000_000 + self.athlete.seed),
            "auth_uri": f"{self.base_url}/google/auth",
            "token_uri": self.google_token_url,
            "universe_domain": "googleapis.com",
        }

    def _verify_jwt(self, assertion: str, audience: str | None) -> dict[str, Any]:
        """Checks an RS256 JWT against the service account's public key; raises ValueError."""
        assert self._key is not None
        try:
            head_b64, claims_b64, signature_b64 = assertion.split(".")
            header = json.loads(_b64decode(head_b64))
            claims = json.loads(_b64decode(claims_b64))
            signature = _b64decode(signature_b64)
        except (ValueError, TypeError) as exc:
            raise ValueError("Invalid JWT: not a signed JWT") from exc
        if header.get("alg") != "RS256":
            raise ValueError("Invalid JWT: only RS256 is accepted")
        try:
            self._key.public_key().verify(
                signature,
                f"{head_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise ValueError("Invalid JWT Signature.") from None
        if claims.get("iss") != self.google_client_email:
            raise ValueError("Invalid JWT: unknown issuer")
        if audience is not None and claims.get("aud") not in (audience, GOOGLE_TOKEN_AUDIENCE):
            raise ValueError("Invalid JWT: wrong audience")
        # Signed with the client's wall clock, so checked against it, not the settable clock.
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            raise ValueError("Invalid JWT: iat and exp are required")
        if exp - iat > 3600 or iat > now + 300 or exp < now - 300:
            raise ValueError(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim."
            )
        return claims

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
    ) -> tuple[str, str, _Reply]:
        bearer = _bearer(headers)
        if path.startswith("/strava/"):
            sub = path.removeprefix("/strava")
            if sub == "/oauth/authorize":
                return "strava", "authorize", self._authorize(self._strava, params)
            kind = "token" if sub == "/oauth/token" else "data"
            return "strava", kind, self._strava_call(method, sub, params, bearer, kind)
        if path.startswith("/withings/"):
            sub = path.removeprefix("/withings")
            if sub == "/oauth2_user/authorize2":
                return "withings", "authorize", self._authorize(self._withings, params)
            kind = "token" if sub == "/v2/oauth2" else "data"
            return "withings", kind, self._withings_call(sub, params, bearer, kind)
        if path == "/google/token":
            return "sheets", "token", self._google_token(method, params)
        if path.startswith("/sheets/v4/"):
            return "sheets", "data", self._sheets_call(method, path, params, bearer)
        return "other", "data", _Reply(404, {"error": f"nothing at {path}"})

    def _authorize(self, tokens: _Tokens, params: dict[str, str]) -> _Reply:
        """The consent page, already agreed to: straight back to the app with a code."""
        redirect = params.get("redirect_uri", "")
        if not redirect.startswith(("http://127.0.0.1", "http://localhost")):
            return _Reply(
                400,
                {
                    "message": "Bad Request",
                    "errors": [
                        {"resource": "Application", "field": "redirect_uri", "code": "invalid"}
                    ],
                },
            )
        answer = {"code": tokens.new_code(), "state": params.get("state", "")}
        if tokens is self._strava:
            answer["scope"] = params.get("scope", "read,activity:read_all")
        sep = "&" if "?" in redirect else "?"
        return _Reply(302, {}, {"Location": f"{redirect}{sep}{urlencode(answer)}"})

    # -- Strava ---------------------------------------------------------------------------------

    def _strava_call(
        self, method: str, sub: str, params: dict[str, str], bearer: str | None, kind: str
    ) -> _Reply:
        _pause(self.faults.delay("strava"))
        if self.faults.inactive():
            return _Reply(
                403,
                {
                    "message": "Forbidden: this application is inactive; its owner needs an "
                    "active Strava subscription",
                    "errors": [{"resource": "Application", "field": "status", "code": "inactive"}],
                },
            )
        if kind == "token":
            return self._strava_token(method, params)
        # A load balancer fails before anything is checked; calls without a valid token are
        # refused before they count against the application's limits.
        failure = self.faults.take_failure("strava")
        if failure:
            return _Reply(failure, {"message": "Internal Server Error", "errors": []})
        if not self._strava.check(bearer):
            return _Reply(
                401,
                {
                    "message": "Authorization Error",
                    "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
                },
            )
        usage = self._strava_usage.add(self.clock())
        limits = self.faults.limits
        read_limits = self.faults.read_limits
        headers = {
            "X-RateLimit-Limit": f"{limits[0]},{limits[1]}",
            "X-RateLimit-Usage": f"{usage[0]},{usage[1]}",
            "X-ReadRateLimit-Limit": f"{read_limits[0]},{read_limits[1]}",
            "X-ReadRateLimit-Usage": f"{usage[0]},{usage[1]}",
        }
        # Every call here is a read, so it counts against both the overall and read limits;
        # refused calls count too (Strava: they still count toward the daily limit).
        over = any(u > lim for u, lim in zip(usage, limits, strict=True)) or any(
            u > lim for u, lim in zip(usage, read_limits, strict=True)
        )
        if self.faults.take_rate_limited("strava") or over:
            return _Reply(
                429,
                {
                    "message": "Rate Limit Exceeded",
                    "errors": [
                        {"resource": "Application", "field": "rate limit", "code": "exceeded"}
                    ],
                },
                headers,
            )
        if method != "GET":
            return _Reply(405, {"message": "Method Not Allowed", "errors": []}, headers)
        reply = self._strava_get(sub, params)
        reply.headers.update(headers)
        return reply

    def _strava_token(self, method: str, params: dict[str, str]) -> _Reply:
        if method != "POST":
            return _Reply(405, {"message": "Method Not Allowed", "errors": []})
        if params.get("client_id") != self.strava_client_id or not secrets.compare_digest(
            params.get("client_secret", ""), self.strava_client_secret
        ):
            return _Reply(
                401,
                {
                    "message": "Bad Request",
                    "errors": [
                        {"resource": "Application", "field": "client_id", "code": "invalid"}
                    ],
                },
            )
        grant = params.get("grant_type")
        issued = None
        if grant == "refresh_token" and not self.faults.rejects("strava"):
            issued = self._strava.grant_refresh(params.get("refresh_token", ""))
            field_name = "refresh_token"
        elif grant == "authorization_code" and not self.faults.rejects("strava"):
            issued = self._strava.grant_code(params.get("code", ""))
            field_name = "code"
        else:
            field_name = "refresh_token" if grant == "refresh_token" else "grant_type"
        if issued is None:
            resource = "RefreshToken" if field_name == "refresh_token" else "AuthorizationCode"
            return _Reply(
                400,
                {
                    "message": "Bad Request",
                    "errors": [{"resource": resource, "field": field_name, "code": "invalid"}],
                },
            )
        access, refresh, expires_at = issued
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_at": expires_at,
            "expires_in": max(0, int(expires_at - self.clock())),
            "refresh_token": refresh,
        }
        if grant == "authorization_code":
            body["athlete"] = self._strava_athlete()
        return _Reply(200, body)

    def _strava_athlete(self) -> dict[str, Any]:
        return {
            "id": 41_230_977,
            "resource_state": 2,
            "username": "demo_runner",
            "firstname": "Demo",
            "lastname": "Runner",
            "city": "Lyon",
            "country": "France",
            "sex": "F",
            "premium": True,
            "summit": True,
        }

    def _strava_get(self, sub: str, params: dict[str, str]) -> _Reply:
        segments = sub.strip("/").split("/")
        if segments[:2] != ["api", "v3"]:
            return _not_found("Path")
        segments = segments[2:]
        if segments == ["athlete"]:
            return _Reply(200, self._strava_athlete())
        if segments == ["athlete", "activities"]:
            return self._strava_list(params)
        if len(segments) in (2, 3) and segments[0] == "activities":
            try:
                activity_id = int(segments[1])
            except ValueError:
                return _not_found("Activity")
            if len(segments) == 2:
                return self._strava_activity(activity_id)
            if segments[2] == "streams":
                return self._strava_streams(activity_id, params)
        return _not_found("Path")

    def _strava_list(self, params: dict[str, str]) -> _Reply:
        try:
            page = int(params.get("page") or 1)
            per_page = min(200, int(params.get("per_page") or 30))
            before = int(params["before"]) if params.get("before") else None
            after = int(params["after"]) if params.get("after") else None
        except ValueError:
            return _Reply(
                400,
                {
                    "message": "Bad Request",
                    "errors": [{"resource": "Application", "field": "page", "code": "invalid"}],
                },
            )
        if page < 1 or per_page < 1:
            return _Reply(200, [])
        with self.athlete.lock:
            chosen = [
                dict(a)
                for a in self.athlete.activities
                if (after is None or start_epoch(a) > after)
                and (before is None or start_epoch(a) < before)
            ]
        chosen.sort(key=start_epoch, reverse=True)
        return _Reply(200, chosen[(page - 1) * per_page : page * per_page])

    def _strava_activity(self, activity_id: int) -> _Reply:
        try:
            summary = dict(self.athlete.activity(activity_id))
        except KeyError:
            return _not_found("Activity")
        summary["resource_state"] = 3
        summary["description"] = None
        summary["calories"] = round((summary.get("distance") or 0) / 1000 * 68, 1)
        if summary.get("map"):
            summary["map"] = {**summary["map"], "polyline": summary["map"]["summary_polyline"]}
        return _Reply(200, summary)

    def _strava_streams(self, activity_id: int, params: dict[str, str]) -> _Reply:
        try:
            self.athlete.activity(activity_id)
        except KeyError:
            return _not_found("Activity")
        keys = [k for k in params.get("keys", "").split(",") if k]
        if not keys:
            return _Reply(
                400,
                {
                    "message": "Bad Request",
                    "errors": [{"resource": "Stream", "field": "keys", "code": "missing"}],
                },
            )
        data = self.athlete.streams.get(activity_id, {})  # manual activities have none
        if data.get("distance") and self.faults.streams_bad(activity_id):
            data = {**data, "distance": data["distance"][:-1]}
        # Strava sends distance along with whatever was asked for.
        wanted = [k for k in dict.fromkeys([*keys, "distance"]) if k in data]
        series = {
            k: {
                "data": data[k],
                "series_type": "distance",
                "original_size": len(data[k]),
                "resolution": "high",
            }
            for k in wanted
        }
        if params.get("key_by_type", "").lower() == "true":
            return _Reply(200, series)
        return _Reply(200, [{"type": k, **v} for k, v in series.items()])

    # -- Withings -------------------------------------------------------------------------------

    def _withings_call(
        self, sub: str, params: dict[str, str], bearer: str | None, kind: str
    ) -> _Reply:
        _pause(self.faults.delay("withings"))
        if kind == "token":
            return self._withings_token(params)
        if sub != "/measure":
            return _Reply(404, {"status": 2555, "body": {}, "error": f"Unknown service {sub}"})
        failure = self.faults.take_failure("withings")
        if failure and not 500 <= failure < 600:
            # Withings' own error codes (e.g. 2555, unknown error) come in the body of a 200.
            return _Reply(
                200, {"status": failure, "body": {}, "error": "An unknown error occurred"}
            )
        if failure:
            return _Reply(
                failure,
                raw=b"<html><body>Service unavailable</body></html>",
                headers={"Content-Type": "text/html"},
            )
        if not self._withings.check(bearer or params.get("access_token")):
            return _Reply(
                200,
                {
                    "status": 401,
                    "body": {},
                    "error": "XRequestID: Not provided invalid_token: The access token "
                    "provided is invalid",
                },
            )
        used = self._withings_usage.add(self.clock())[0]
        if self.faults.take_rate_limited("withings") or used > WITHINGS_PER_MINUTE:
            return _Reply(200, {"status": 601, "body": {}, "error": "Too Many Requests"})
        if params.get("action") != "getmeas":
            return _withings_invalid("action")
        return self._withings_getmeas(params)

    def _withings_token(self, params: dict[str, str]) -> _Reply:
        if params.get("action") != "requesttoken":
            return _withings_invalid("action")
        if params.get("client_id") != self.withings_client_id or not secrets.compare_digest(
            params.get("client_secret", ""), self.withings_client_secret
        ):
            return _withings_invalid("client_id")
        grant = params.get("grant_type")
        issued = None
        if self.faults.rejects("withings"):
            issued = None
        elif grant == "refresh_token":
            issued = self._withings.grant_refresh(params.get("refresh_token", ""))
        elif grant == "authorization_code":
            issued = self._withings.grant_code(params.get("code", ""))
        if issued is None:
            name = "code" if grant == "authorization_code" else "refresh_token"
            return _withings_invalid(name)
        access, refresh, expires_at = issued
        return _Reply(
            200,
            {
                "status": 0,
                "body": {
                    "userid": str(self.withings_userid),
                    "access_token": access,
                    "refresh_token": refresh,
                    "expires_in": max(0, int(expires_at - self.clock())),
                    "scope": "user.metrics,user.info",
                    "csrf_token": secrets.token_hex(8),
                    "token_type": "Bearer",
                },
            },
        )

    def _withings_getmeas(self, params: dict[str, str]) -> _Reply:
        try:
            types = {
                int(t)
                for t in (params.get("meastypes") or params.get("meastype") or "").split(",")
                if t
            }
            category = int(params.get("category") or 1)
            start = int(params["startdate"]) if params.get("startdate") else None
            end = int(params["enddate"]) if params.get("enddate") else None
            lastupdate = int(params["lastupdate"]) if params.get("lastupdate") else None
            offset = int(params.get("offset") or 0)
        except ValueError:
            return _withings_invalid("meastypes, dates or offset")
        picked = []
        with self.athlete.lock:
            for group in self.athlete.measure_groups:
                if group["category"] != category:
                    continue
                if lastupdate is not None and group["modified"] <= lastupdate:
                    continue
                if start is not None and group["date"] < start:
                    continue
                if end is not None and group["date"] > end:
                    continue
                measures = [dict(m) for m in group["measures"] if not types or m["type"] in types]
                if measures:
                    picked.append({**group, "measures": measures})
        page = picked[offset : offset + self.withings_page_size]
        more = offset + len(page) < len(picked)
        return _Reply(
            200,
            {
                "status": 0,
                "body": {
                    "updatetime": int(self.clock()),
                    "timezone": "Europe/Paris",
                    "measuregrps": page,
                    "more": 1 if more else 0,
                    "offset": offset + len(page) if more else 0,
                },
            },
        )

    # -- Google ---------------------------------------------------------------------------------

    def _google_token(self, method: str, params: dict[str, str]) -> _Reply:
        _pause(self.faults.delay("sheets"))
        if method != "POST":
            return _Reply(405, {"error": "invalid_request"})
        if params.get("grant_type") != JWT_BEARER:
            return _Reply(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Invalid grant_type: " + params.get("grant_type", ""),
                },
            )
        if self.faults.rejects("sheets"):
            return _Reply(
                400,
                {"error": "invalid_grant", "error_description": "Invalid grant: account not found"},
            )
        try:
            claims = self._verify_jwt(params.get("assertion", ""), self.google_token_url)
        except ValueError as exc:
            return _Reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes & set(SHEETS_SCOPES):
            return _Reply(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": "No Sheets or Drive scope was asked for.",
                },
            )
        token = "ya29.standin-" + secrets.token_urlsafe(32)
        with self._google_lock:
            self._google[token] = self.clock() + GOOGLE_ACCESS_S
        return _Reply(
            200, {"access_token": token, "expires_in": GOOGLE_ACCESS_S - 1, "token_type": "Bearer"}
        )

    def _google_ok(self, bearer: str | None) -> bool:
        if bearer is None:
            return False
        with self._google_lock:
            expires = self._google.get(bearer)
        if expires is not None:
            return expires > self.clock()
        if bearer.count(".") == 2:  # a self-signed JWT used directly as the access token
            try:
                self._verify_jwt(bearer, None)
                return True
            except ValueError:
                return False
        return False

    def _sheets_call(
        self, method: str, path: str, params: dict[str, str], bearer: str | None
    ) -> _Reply:
        _pause(self.faults.delay("sheets"))
        failure = self.faults.take_failure("sheets")
        if failure:
            return _google_error(failure, "UNAVAILABLE", "The service is currently unavailable.")
        if bearer is None:
            return _google_error(
                403, "PERMISSION_DENIED", "The request is missing a valid API key."
            )
        if not self._google_ok(bearer):
            return _google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected "
                "OAuth 2 access token, login cookie or other valid "
                "authentication credential.",
            )
        used = self._sheets_usage.add(self.clock())[0]
        if self.faults.take_rate_limited("sheets") or used > SHEETS_PER_MINUTE:
            return _google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Read requests' and limit "
                "'Read requests per minute per user' of the Sheets API.",
            )
        if method != "GET":
            return _google_error(405, "INVALID_ARGUMENT", "Method not allowed.")
        parts = path.removeprefix("/sheets/v4/").split("/")
        if len(parts) < 2 or parts[0] != "spreadsheets" or parts[1] != self.sheets_id:
            return _google_error(404, "NOT_FOUND", "Requested entity was not found.")
        with self.athlete.lock:
            rows = [list(r) for r in self.athlete.sheet_rows]
        if len(parts) == 2:
            return _Reply(200, self._sheet_metadata(len(rows)))
        if len(parts) == 4 and parts[2] == "values":
            return self._sheet_values(unquote(parts[3]), rows, params)
        return _google_error(404, "NOT_FOUND", "Requested entity was not found.")

    def _sheet_metadata(self, row_count: int) -> dict[str, Any]:
        return {
            "spreadsheetId": self.sheets_id,
            "properties": {
                "title": "Training log",
                "locale": "en_GB",
                "timeZone": "Europe/Paris",
                "autoRecalc": "ON_CHANGE",
            },
            "sheets": [
                {
                    "properties": {
                        "sheetId": 0,
                        "title": self.sheet_title,
                        "index": 0,
                        "sheetType": "GRID",
                        "gridProperties": {"rowCount": max(1000, row_count), "columnCount": 26},
                    }
                }
            ],
            "spreadsheetUrl": f"{self.sheets_url}/spreadsheets/{self.sheets_id}",
        }

    def _sheet_values(self, a1_range: str, rows: list[list[str]], params: dict[str, str]) -> _Reply:
        grid_rows = max(1000, len(rows))
        try:
            title, col0, row0, col1, row1 = _parse_a1(a1_range, self.sheet_title, grid_rows)
        except ValueError:
            return _google_error(400, "INVALID_ARGUMENT", f"Unable to parse range: {a1_range}")
        value_option = params.get("valueRenderOption", "FORMATTED_VALUE").upper()
        date_option = params.get("dateTimeRenderOption", "SERIAL_NUMBER").upper()
        if value_option not in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA") or (
            date_option not in ("SERIAL_NUMBER", "FORMATTED_STRING")
        ):
            return _google_error(
                400, "INVALID_ARGUMENT", "Invalid valueRenderOption or dateTimeRenderOption."
            )
        window = [r[col0 : col1 + 1] for r in rows[row0 - 1 : row1]]
        values: list[list[Any]] = [_trim(r) for r in window]
        while values and not values[-1]:
            values.pop()
        if value_option != "FORMATTED_VALUE":
            values = [[_unformatted(cell, date_option) for cell in row] for row in values]
        if params.get("majorDimension", "ROWS").upper() == "COLUMNS":
            width = max((len(r) for r in values), default=0)
            columns = [[r[i] if i < len(r) else "" for r in values] for i in range(width)]
            values = [_trim(c) for c in columns]
        body: dict[str, Any] = {
            "range": f"{_quote_title(title)}!{_col(col0)}{row0}:{_col(col1)}{row1}",
            "majorDimension": params.get("majorDimension", "ROWS").upper(),
        }
        if values:
            body["values"] = values  # Google leaves the key out for an empty range
        return _Reply(200, body)


# ---------------------------------------------------------------------------------------------
# HTTP plumbing and small helpers


class _Handler(BaseHTTPRequestHandler):
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


@functools.lru_cache(maxsize=1)
def _service_account_key() -> rsa.RSAPrivateKey:
    """Made at the first start in a process: a 2048-bit key costs up to a second to generate,
    and a loopback stand-in needs no new key each time it starts."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    if value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _not_found(resource: str) -> _Reply:
    return _Reply(
        404,
        {
            "message": "Record Not Found",
            "errors": [{"resource": resource, "field": "path", "code": "invalid"}],
        },
    )


def _withings_invalid(name: str) -> _Reply:
    return _Reply(200, {"status": 503, "body": {}, "error": f"Invalid Params: invalid {name}"})


def _google_error(code: int, status: str, message: str) -> _Reply:
    return _Reply(code, {"error": {"code": code, "message": message, "status": status}})


def _trim(row: list[str]) -> list[str]:
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return list(row[:end])


_SERIAL_EPOCH = date(1899, 12, 30)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _unformatted(cell: str, date_option: str) -> Any:
    """What Sheets stored behind a typed-in cell: numbers as numbers, ISO dates as dates (serial
    day numbers unless asked as strings), anything else (`8O`, `31/02/2024`) as text."""
    if not isinstance(cell, str):
        return cell  # a test set a typed value (a number, a serial date) directly
    if _NUMBER.match(cell):
        number = float(cell)
        return int(number) if number.is_integer() and "." not in cell else number
    try:
        day = date.fromisoformat(cell) if len(cell) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return cell
    return (day - _SERIAL_EPOCH).days if date_option == "SERIAL_NUMBER" else cell


def _col(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _col_index(letters: str) -> int:
    value = 0
    for ch in letters.upper():
        value = value * 26 + (ord(ch) - ord("A") + 1)
    return value - 1


def _quote_title(title: str) -> str:
    return title if title.replace("_", "").isalnum() else "'" + title.replace("'", "''") + "'"


def _parse_a1(text: str, title: str, grid_rows: int) -> tuple[str, int, int, int, int]:
    """`Log!A1:E`, `Log!A:E`, `'Log'!B2:C10`, `Log`, `A1:E` -> (title, col0, row0, col1, row1),
    columns from 0, rows from 1; ValueError for anything else or another sheet."""
    sheet, _, cells = text.rpartition("!") if "!" in text else ("", "", text)
    if not sheet and re.fullmatch(r"[A-Za-z]+\d*(:[A-Za-z]*\d*)?", cells) is None:
        sheet, cells = cells, ""
    sheet = sheet.strip()
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    if sheet and sheet != title:
        raise ValueError(text)
    if not cells:
        return title, 0, 1, 25, grid_rows
    match = re.fullmatch(r"([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?", cells)
    if match is None or not (match.group(1) or match.group(2)):
        raise ValueError(text)
    c0, r0, c1, r1 = match.groups()
    col0 = _col_index(c0) if c0 else 0
    row0 = int(r0) if r0 else 1
    if match.group(0).find(":") < 0:
        c1, r1 = c0, r0
    col1 = _col_index(c1) if c1 else 25
    row1 = min(int(r1), grid_rows) if r1 else grid_rows
    if col1 < col0 or row1 < row0:
        raise ValueError(text)
    return title, col0, row0, col1, row1

"""Provider-side OAuth and quota state: rotating token chains, consent, call-counting windows."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from urllib.parse import urlencode

from demo.standins.http import Reply


class TokenChain:
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


class UsageWindow:
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


def consent(tokens: TokenChain, params: dict[str, str], scope: str | None = None) -> Reply:
    """The consent page, already agreed to: straight back to the app with a code (and, as
    Strava does, the scope granted)."""
    redirect = params.get("redirect_uri", "")
    if not redirect.startswith(("http://127.0.0.1", "http://localhost")):
        return Reply(
            400,
            {
                "message": "Bad Request",
                "errors": [
                    {"resource": "Application", "field": "redirect_uri", "code": "invalid"}
                ],
            },
        )
    answer = {"code": tokens.new_code(), "state": params.get("state", "")}
    if scope is not None:
        answer["scope"] = params.get("scope", scope)
    sep = "&" if "?" in redirect else "?"
    return Reply(302, {}, {"Location": f"{redirect}{sep}{urlencode(answer)}"})

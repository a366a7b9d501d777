"""The one HTTP policy of every provider client: timeout, one refresh on 401, 5xx, 429."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from collectors.common import RATE_LIMITED, Counts, StopSync, SyncError
from collectors.tokens import Tokens

# A 5xx is retried this many times, after BACKOFF_S, then twice that, …: a provider that is
# down for longer is an error for this run, and the next scheduled run tries again.
RETRIES_5XX = 1
BACKOFF_S = 1.0


class Http:
    """A requests session with the configured timeout that counts every call it makes.

    Errors the user can meet (no answer, a timeout) become SyncError naming the provider."""

    def __init__(
        self,
        provider: str,
        counts: Counts,
        session: requests.Session | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.provider = provider
        self.counts = counts
        self.session = session or requests.Session()
        self.timeout_s = timeout_s

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.counts.requests += 1
        kwargs["timeout"] = self.timeout_s  # ours, whatever a library asks for
        try:
            return self.session.request(method, url, **kwargs)
        except requests.Timeout:
            raise SyncError(
                f"{self.provider} did not answer within {self.timeout_s:g} s; try again later "
                "(or raise PULSEBOARD_REQUEST_TIMEOUT_S)"
            ) from None
        except requests.ConnectionError as exc:
            raise SyncError(
                f"cannot reach {self.provider} at {url.split('?')[0]}: {_reason(exc)}; check the "
                "network and the endpoint setting"
            ) from None


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 160 else text[:157] + "…"


def json_body(provider: str, response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SyncError(
            f"{provider} sent an answer that is not complete JSON (HTTP {response.status_code}, "
            f"{len(response.content)} bytes); try again later"
        ) from None


class AccessRefused(SyncError):
    """The provider refused the access token (HTTP 401, or a body that says so)."""


class Authorized:
    """Sends a client's authorized requests under the one policy:

    - 429 stops the run cleanly (StopSync: the cursor is saved, the next run carries on; a
      Lambda never sleeps out a rate limit);
    - 401 (or AccessRefused raised by `read`, e.g. Withings' body status 401) refreshes the
      access token once and tries again; refused again, the user is told to reconnect;
    - 5xx is retried RETRIES_5XX times with a doubling backoff (`sleep` passed in).
    """

    def __init__(
        self,
        http: Http,
        tokens: Tokens,
        reconnect: str,
        sleep: Callable[[float], None] = time.sleep,
        limit_name: str = "rate limit",
        gate: Callable[[], None] | None = None,
        retries_5xx: int = RETRIES_5XX,
        backoff_s: float = BACKOFF_S,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.reconnect = reconnect
        self.sleep = sleep
        self.limit_name = limit_name
        # Called before every attempt (Strava's request budget stops a run here, before a
        # token refresh or a request is spent).
        self.gate = gate
        self.retries_5xx = retries_5xx
        self.backoff_s = backoff_s

    def send[T](
        self,
        request: Callable[[str], requests.Response],
        read: Callable[[requests.Response], T],
        what: str = "",
    ) -> T:
        """`request(access_token)` makes one attempt; `read` turns an answer that is not 401,
        429 or 5xx into the result (raising for what else it refuses). `what` names the call in
        the error a provider that keeps failing gets ("to GET /athlete/activities")."""
        provider = self.http.provider
        refused = ""
        failures = 0
        while True:
            if self.gate is not None:
                self.gate()
            token = self.tokens.access_token(force_refresh_of=refused)
            response = request(token)
            status = response.status_code
            if status == 429:
                raise StopSync(RATE_LIMITED, f"{provider} answered 429 ({self.limit_name})")
            if status >= 500:
                if failures >= self.retries_5xx:
                    raise SyncError(f"{provider} answered HTTP {status}{' ' + what if what else ''}"
                                    "; try again later")
                self.sleep(self.backoff_s * 2**failures)
                failures += 1
                continue
            try:
                if status == 401:
                    raise AccessRefused(f"{provider} answered HTTP 401")
                return read(response)
            except AccessRefused:
                if refused:
                    raise SyncError(f"{provider} refused a freshly refreshed access token: "
                                    f"{self.reconnect}") from None
                refused = token  # revoked or expired early: refresh once, then give up

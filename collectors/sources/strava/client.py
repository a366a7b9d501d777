"""Strava's HTTP side: the read limits a run keeps under, OAuth, and the authorized GETs.

stravalib is not used behind this seam: its default rate limiter sleeps until the window
resets (minutes, inside a Lambda), it keeps rotated refresh tokens only in memory (not in the
token store with its compare-and-set), it hides the request count a run's budget needs, and it
builds https://www.strava.com URLs itself while the base is a setting here (Strava moves it by
June 2027; tests use a loopback stand-in)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import requests

from collectors.common import BUDGET, RATE_LIMITED, StopSync, SyncError
from collectors.http import Authorized, Http, json_body
from collectors.sources.strava.config import StravaConfig
from collectors.sources.strava.parse import Usage, parse_rate_limits
from collectors.tokens import Token, TokenRejected, Tokens

SOURCE = "strava"
# Strava's read ("non-upload") limits; the headers may announce the same or lower ones.
READ_LIMIT_15MIN = 100
READ_LIMIT_DAY = 1000
# One run never makes more requests than this (a run is also stopped by the limits above).
REQUEST_BUDGET = 100
SCOPE = "read,activity:read_all"  # activity:read_all also lists "only me" activities
RECONNECT = "run `python -m collectors connect strava`"
INACTIVE = (
    "Strava says this API application is inactive (since 2026-06-30 a personal API "
    "application works only while its owner has a paid Strava subscription): renew the "
    "subscription or use another application's credentials, then sync again"
)


class Budget:
    """Keeps a run under Strava's read limits and its own request budget.

    What the last answer's headers said is used, but never below what this run has itself made
    in the current window, so a proxy that strips the headers cannot make us overrun."""

    def __init__(
        self,
        request_budget: int = REQUEST_BUDGET,
        limit_15min: int = READ_LIMIT_15MIN,
        limit_day: int = READ_LIMIT_DAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.request_budget = request_budget
        self.limit_15min = limit_15min
        self.limit_day = limit_day
        self.clock = clock
        self.made: list[float] = []
        self.seen: dict[str, Usage] = {}

    def _own(self, window_s: int) -> int:
        now = self.clock()
        start = now - now % window_s  # windows start at :00/:15/:30/:45 and midnight UTC
        return sum(1 for t in self.made if t >= start)

    def left(self) -> int:
        own_15, own_day = self._own(900), self._own(86400)
        left = self.request_budget - len(self.made)
        for usage in self.seen.values():
            left = min(
                left,
                min(usage.limit_15min, self.limit_15min) - max(usage.usage_15min, own_15),
                min(usage.limit_day, self.limit_day) - max(usage.usage_day, own_day),
            )
        left = min(left, self.limit_15min - own_15, self.limit_day - own_day)
        return left

    def check(self) -> None:
        if self.left() <= 0:
            raise StopSync(BUDGET, self.reason())

    def reason(self) -> str:
        if len(self.made) >= self.request_budget:
            return f"request budget of {self.request_budget} for one run used"
        read = self.seen.get("read") or self.seen.get("overall")
        shown = f" ({read.usage_15min}/{read.limit_15min} in 15 min, " \
                f"{read.usage_day}/{read.limit_day} today)" if read else ""
        return f"Strava read limit reached{shown}"

    def record(self, headers: Any) -> None:
        self.made.append(self.clock())
        self.seen.update(parse_rate_limits(headers))


def oauth_url(api_url: str) -> str:
    """Strava's OAuth lives beside its API: https://host/api/v3 → https://host/oauth."""
    base = api_url.rstrip("/")
    return (base[: -len("/api/v3")] if base.endswith("/api/v3") else base) + "/oauth"


def _inactive(response: requests.Response) -> bool:
    return response.status_code == 403 and "inactive" in response.text.lower()


def token_from(response: requests.Response, provider: str = "Strava") -> Token:
    if _inactive(response):
        raise SyncError(INACTIVE)
    if response.status_code in (400, 401, 403):
        raise TokenRejected(f"HTTP {response.status_code}")
    if response.status_code == 429:
        raise StopSync(RATE_LIMITED, "Strava answered 429 to the token refresh")
    if response.status_code != 200:
        raise SyncError(f"{provider} token endpoint answered HTTP {response.status_code}; "
                        "try again later")
    body = json_body(provider, response)
    try:
        expires_at = float(body.get("expires_at") or time.time() + float(body["expires_in"]))
        # The code exchange's answer names the athlete; a refresh's does not.
        athlete = body.get("athlete")
        account = athlete.get("id") if isinstance(athlete, dict) else None
        return Token(str(body["access_token"]), str(body.get("refresh_token") or ""), expires_at,
                     account if isinstance(account, int) and not isinstance(account, bool) else 0)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise SyncError(f"{provider} token endpoint sent no access token; try again later") \
            from None


def refresher(http: Http, config: StravaConfig) -> Callable[[str], Token]:
    """The refresh call for Tokens: POST /oauth/token with grant_type=refresh_token."""

    def refresh(refresh_token: str) -> Token:
        response = http.request(
            "POST",
            oauth_url(config.url) + "/token",
            data={
                "client_id": config.client_id,
                "client_secret": config.client_secret,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            },
        )
        return token_from(response, http.provider)

    return refresh


class StravaOAuth:
    """The first authorization: Strava's consent page, then the code exchange."""

    def authorize_url(self, config: StravaConfig, redirect_uri: str, state: str) -> str:
        query = {
            "client_id": config.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "approval_prompt": "auto",
            "scope": SCOPE,
            "state": state,
        }
        return f"{oauth_url(config.url)}/authorize?{urlencode(query)}"

    def exchange(self, config: StravaConfig, code: str, redirect_uri: str, http: Http,
                 now_s: float) -> Token:
        response = http.request("POST", oauth_url(config.url) + "/token", data={
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "code": code,
            "grant_type": "authorization_code",
        })
        return token_from(response)


class StravaClient:
    """The calls a sync makes (activity list, one activity, streams), each under the budget and
    the one HTTP policy."""

    def __init__(
        self,
        http: Http,
        api_url: str,
        tokens: Tokens,
        budget: Budget,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.budget = budget
        self.policy = Authorized(http, tokens, RECONNECT, sleep, gate=budget.check)

    def get(self, path: str, params: dict[str, Any]) -> requests.Response | None:
        """The answer to one GET; None for 404. Raises StopSync on 429 or when the budget is
        used, SyncError on anything a user must act on."""

        def request(token: str) -> requests.Response:
            response = self.http.request("GET", self.api_url + path, params=params,
                                         headers={"Authorization": f"Bearer {token}"})
            self.budget.record(response.headers)
            return response

        def read(response: requests.Response) -> requests.Response | None:
            if response.status_code == 200:
                return response
            if response.status_code == 404:
                return None
            if _inactive(response):
                raise SyncError(INACTIVE)
            raise SyncError(f"Strava answered HTTP {response.status_code} to GET {path}; "
                            "try again later")

        return self.policy.send(request, read, f"to GET {path}")

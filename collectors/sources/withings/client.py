"""Withings' HTTP side: OAuth, and getmeas under the one HTTP policy (errors come in the body).

Withings has no maintained Python client; this one is a few requests calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import requests

from collectors.common import RATE_LIMITED, StopSync, SyncError
from collectors.http import AccessRefused, Authorized, Http, json_body
from collectors.sources.withings.config import WithingsConfig
from collectors.sources.withings.parse import (
    STATUS_INVALID_TOKEN,
    STATUS_TOO_MANY,
    WithingsStatus,
    check_status,
)
from collectors.tokens import Token, TokenRejected, Tokens

RECONNECT = "run `python -m collectors connect withings`"
ACCOUNT_URL = "https://account.withings.com"
API_URL_DEFAULT = "https://wbsapi.withings.net"
SCOPE = "user.metrics"


def token_from(response: requests.Response, now_s: float) -> Token:
    if response.status_code != 200:
        raise SyncError(f"Withings token endpoint answered HTTP {response.status_code}; "
                        "try again later")
    try:
        body = check_status(json_body("Withings", response))
    except WithingsStatus as exc:
        if exc.status == STATUS_TOO_MANY:
            raise StopSync(RATE_LIMITED, "Withings answered 601 (too many requests) to the "
                                         "token refresh") from None
        raise TokenRejected(str(exc)) from None
    try:
        userid = str(body.get("userid") or "")
        return Token(str(body["access_token"]), str(body.get("refresh_token") or ""),
                     now_s + float(body["expires_in"]),
                     int(userid) if userid.isdigit() and len(userid) < 19 else 0)
    except (KeyError, TypeError, ValueError):
        raise SyncError("Withings token endpoint sent no access token; try again later") \
            from None


def _token_url(config: WithingsConfig) -> str:
    return config.url.rstrip("/") + "/v2/oauth2"


def refresher(http: Http, config: WithingsConfig,
              clock: Callable[[], float] = time.time) -> Callable[[str], Token]:
    """The refresh call for Tokens: POST /v2/oauth2 action=requesttoken."""

    def refresh(refresh_token: str) -> Token:
        response = http.request(
            "POST",
            _token_url(config),
            data={
                "action": "requesttoken",
                "grant_type": "refresh_token",
                "client_id": config.client_id,
                "client_secret": config.client_secret,
                "refresh_token": refresh_token,
            },
        )
        return token_from(response, clock())

    return refresh


class WithingsOAuth:
    """The first authorization: Withings' consent page, then the code exchange."""

    def authorize_url(self, config: WithingsConfig, redirect_uri: str, state: str) -> str:
        # Withings' consent page is on its account host, not the API host.
        api = config.url.rstrip("/")
        host = ACCOUNT_URL if api == API_URL_DEFAULT else api
        query = {
            "response_type": "code",
            "client_id": config.client_id,
            "scope": SCOPE,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{host}/oauth2_user/authorize2?{urlencode(query)}"

    def exchange(self, config: WithingsConfig, code: str, redirect_uri: str, http: Http,
                 now_s: float) -> Token:
        response = http.request("POST", _token_url(config), data={
            "action": "requesttoken",
            "grant_type": "authorization_code",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        })
        return token_from(response, now_s)


def _read_measures(response: requests.Response) -> tuple[dict[str, Any], bytes]:
    if response.status_code != 200:
        raise SyncError(f"Withings answered HTTP {response.status_code}; try again later")
    try:
        return check_status(json_body("Withings", response)), response.content
    except WithingsStatus as exc:
        if exc.status == STATUS_TOO_MANY:
            raise StopSync(RATE_LIMITED, "Withings answered 601 (too many requests)") from None
        if exc.status == STATUS_INVALID_TOKEN:
            raise AccessRefused(str(exc)) from None
        raise SyncError(f"Withings could not answer ({exc}); try again later, and "
                        "if it persists check PULSEBOARD_WITHINGS_URL") from None


class WithingsClient:
    """getmeas, with a bearer token, under the one HTTP policy."""

    def __init__(self, http: Http, base_url: str, tokens: Tokens,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.policy = Authorized(http, tokens, RECONNECT, sleep)

    def getmeas(self, params: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        def request(token: str) -> requests.Response:
            return self.http.request("POST", self.base_url + "/measure",
                                     data={"action": "getmeas", **params},
                                     headers={"Authorization": f"Bearer {token}"})

        return self.policy.send(request, _read_measures)

"""`python -m collectors subscribe strava|withings`: the providers' push subscriptions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from collectors.common import Counts, SyncError
from collectors.http import AccessRefused, Authorized, Http, json_body
from collectors.sources.strava.config import StravaConfig
from collectors.sources.withings import client as withings_client
from collectors.sources.withings.config import WithingsConfig
from collectors.sources.withings.parse import STATUS_INVALID_TOKEN, WithingsStatus, check_status
from collectors.tokens import Tokens
from core.errors import UsageError
from storage import events
from storage.base import Store

WITHINGS_APPLI = 1  # weight and body composition
CALLBACK_PATHS = {"strava": "/webhooks/strava", "withings": "/webhooks/withings"}


def _strava_answer(response: requests.Response, doing: str) -> Any:
    if response.status_code in (200, 201):
        return json_body("Strava", response)
    if response.status_code == 204:
        return None
    try:
        detail = json_body("Strava", response)
        errors = detail.get("errors") if isinstance(detail, dict) else None
        reason = "; ".join(f"{e.get('field')} {e.get('code')}" for e in errors or []
                           if isinstance(e, dict))
    except SyncError:
        reason = ""
    raise SyncError(f"Strava refused to {doing} (HTTP {response.status_code}"
                    f"{': ' + reason if reason else ''}); check the client id and secret, and "
                    "that the callback answers Strava's validation")


class StravaSubscriptions:
    """Strava's one push subscription per application (client id and secret, no user token)."""

    def __init__(self, config: StravaConfig, http: Http, store: Store) -> None:
        self.url = config.url.rstrip("/") + "/push_subscriptions"
        self.credentials = {"client_id": config.client_id,
                            "client_secret": config.client_secret}
        self.http = http
        self.store = store

    def existing(self) -> list[dict[str, Any]]:
        found = _strava_answer(self.http.request("GET", self.url, params=self.credentials),
                               "list its push subscriptions")
        return [s for s in found or [] if isinstance(s, dict)]

    def create(self, callback: str, verify_token: str) -> int:
        if not verify_token:
            raise UsageError("PULSEBOARD_STRAVA_VERIFY_TOKEN is not set: Strava's validation "
                             "must find it at the callback; set it (the api stage reads the same)")
        answer = _strava_answer(self.http.request("POST", self.url, data={
            **self.credentials, "callback_url": callback, "verify_token": verify_token,
        }), "create the push subscription")
        subscription_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(subscription_id, int) or isinstance(subscription_id, bool):
            raise SyncError("Strava created a subscription but sent no id; run --list")
        events.remember(self.store, "strava", subscription_id=subscription_id)
        return subscription_id

    def delete(self) -> list[int]:
        gone = []
        for subscription in self.existing():
            _strava_answer(self.http.request("DELETE", f"{self.url}/{subscription['id']}",
                                             params=self.credentials),
                           "delete the push subscription")
            gone.append(int(subscription["id"]))
        events.forget(self.store, "strava", "subscription_id")
        return gone


def _withings_read(response: requests.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise SyncError(f"Withings answered HTTP {response.status_code}; try again later")
    try:
        return check_status(json_body("Withings", response))
    except WithingsStatus as exc:
        if exc.status == STATUS_INVALID_TOKEN:
            raise AccessRefused(str(exc)) from None
        raise SyncError(f"Withings refused the notification call ({exc}); the callback must "
                        "answer Withings' HEAD and be HTTPS on a domain") from None


class WithingsSubscriptions:
    """Withings' notifications, one per callback and appli, made with the owner's token."""

    def __init__(self, config: WithingsConfig, http: Http, store: Store,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = config.url.rstrip("/") + "/notify"
        self.http = http
        tokens = Tokens(store, "withings",
                        withings_client.refresher(http, config),
                        seed_refresh_token=config.refresh_token,
                        reconnect_hint=withings_client.RECONNECT, sleep=sleep)
        self.policy = Authorized(http, tokens, withings_client.RECONNECT, sleep)

    def _call(self, **data: Any) -> dict[str, Any]:
        def request(token: str) -> requests.Response:
            return self.http.request("POST", self.url, data={**data, "appli": WITHINGS_APPLI},
                                     headers={"Authorization": f"Bearer {token}"})

        return self.policy.send(request, _withings_read, f"to {data['action']} a notification")

    def existing(self) -> list[dict[str, Any]]:
        profiles = self._call(action="list").get("profiles") or []
        return [p for p in profiles if isinstance(p, dict)]

    def create(self, callback: str) -> None:
        self._call(action="subscribe", callbackurl=callback, comment="Pulseboard")

    def delete(self) -> list[str]:
        gone = []
        for profile in self.existing():
            self._call(action="revoke", callbackurl=profile.get("callbackurl", ""))
            gone.append(str(profile.get("callbackurl", "")))
        return gone


def subscribe(source: str, config: Any, store: Store, callback: str | None, listing: bool,
              delete: bool, verify_token: str = "", session: requests.Session | None = None,
              out: Callable[[str], None] = print) -> None:
    """What the command does: list, delete, or create the push subscription of `source`."""
    http = Http(source.title(), Counts(source), session, config.timeout_s)
    if not config.configured:
        raise UsageError(f"{source} is not configured: set its client id and secret first")
    subs: StravaSubscriptions | WithingsSubscriptions = (
        StravaSubscriptions(config, http, store) if source == "strava"
        else WithingsSubscriptions(config, http, store))
    if listing:
        found = subs.existing()
        for item in found:
            out(f"{item.get('id', '-')} {item.get('callback_url') or item.get('callbackurl')}")
        if not found:
            out(f"no {source} push subscription")
        return
    if delete:
        gone = subs.delete()
        out(f"deleted {len(gone)} {source} push subscription{'s' * (len(gone) != 1)}")
        return
    if not callback:
        raise UsageError(f"--callback URL is needed to subscribe (the api stage's "
                         f"https://…{CALLBACK_PATHS[source]}, as `make deploy STAGE=api` prints)")
    if isinstance(subs, StravaSubscriptions):
        subscription_id = subs.create(callback, verify_token)
        out(f"Strava push subscription {subscription_id} → {callback}")
    else:
        subs.create(callback)
        out(f"Withings notifications (appli {WITHINGS_APPLI}) → {callback}")

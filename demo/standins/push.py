"""The providers' push APIs as the stand-ins serve them: Strava's push subscriptions and webhook
events, Withings' notify calls and notifications, each delivered as the public documents say
(a 200 within 2 s, else Strava tries again: 3 attempts in all)."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from demo.standins.http import Reply

if TYPE_CHECKING:
    from demo.standins.server import StandIns

ANSWER_WITHIN_S = 2.0
ATTEMPTS = 3
RETRY_AFTER_S = 0.5  # Strava waits longer between attempts; the demo should not


def _bad_request(resource: str, field_name: str, code: str) -> Reply:
    return Reply(400, {"message": "Bad Request",
                       "errors": [{"resource": resource, "field": field_name, "code": code}]})


@dataclass
class Delivery:
    """One event sent: its body, each attempt's answer (status or the error's name)."""

    body: dict[str, Any]
    answers: list[str] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return "200" in self.answers


class Push:
    """Subscriptions held by the stand-ins, and events delivered to their callbacks."""

    def __init__(self, hub: StandIns, clock: Callable[[], float] = time.time) -> None:
        self.hub = hub
        self.clock = clock
        self.strava_subscription: dict[str, Any] | None = None
        self.withings_callbacks: dict[str, dict[str, Any]] = {}
        self.deliveries: list[Delivery] = []
        self._ids = itertools.count(120_475)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.session = requests.Session()

    # -- Strava: /api/v3/push_subscriptions ------------------------------------------------------
    def strava(self, method: str, sub: str, params: dict[str, str]) -> Reply:
        strava = self.hub.strava
        if params.get("client_id") != strava.client_id or not secrets.compare_digest(
            params.get("client_secret", ""), strava.client_secret
        ):
            return _bad_request("Application", "client_id", "invalid")
        tail = sub.removeprefix("/api/v3/push_subscriptions").strip("/")
        if method == "GET" and not tail:
            found = self.strava_subscription
            return Reply(200, [found] if found else [])
        if method == "POST" and not tail:
            return self._strava_create(params)
        if method == "DELETE" and tail:
            found = self.strava_subscription
            if found is None or str(found["id"]) != tail:
                return Reply(404, {"message": "Resource Not Found", "errors": []})
            self.strava_subscription = None
            return Reply(204, raw=b"")
        return Reply(405, {"message": "Method Not Allowed", "errors": []})

    def _strava_create(self, params: dict[str, str]) -> Reply:
        if self.strava_subscription is not None:
            return _bad_request("PushSubscription", "callback url", "already exists")
        callback, verify = params.get("callback_url", ""), params.get("verify_token", "")
        if not callback or not verify:
            return _bad_request("PushSubscription", "callback url" if not callback
                                else "verify token", "missing")
        challenge = secrets.token_hex(16)
        try:
            answer = self.session.get(callback, timeout=ANSWER_WITHIN_S, params={
                "hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify})
            echoed = answer.status_code == 200 and answer.json().get("hub.challenge") == challenge
        except (requests.RequestException, ValueError, AttributeError):
            echoed = False
        if not echoed:
            return _bad_request("PushSubscription", "callback url", "not verifiable")
        now = int(self.clock())
        self.strava_subscription = {
            "id": next(self._ids), "resource_state": 2,
            "application_id": int(self.hub.strava.client_id), "callback_url": callback,
            "created_at": now, "updated_at": now,
        }
        return Reply(201, {"id": self.strava_subscription["id"]})

    def strava_event(self, object_id: int, aspect: str, object_type: str = "activity",
                     updates: dict[str, str] | None = None, owner_id: int | None = None,
                     subscription_id: int | None = None) -> Delivery | None:
        """Sends one event to the subscription's callback (None without a subscription)."""
        found = self.strava_subscription
        if found is None:
            return None
        body = {
            "aspect_type": aspect, "event_time": int(self.clock()), "object_id": object_id,
            "object_type": object_type,
            "owner_id": owner_id or self.hub.strava.profile()["id"],
            "subscription_id": subscription_id or found["id"], "updates": updates or {},
        }
        return self._deliver(found["callback_url"], body, json_body=True)

    def upload_run(self, **fields: Any) -> dict[str, Any]:
        """A run recorded and uploaded to Strava now: stored there, and the create event sent."""
        activity = self.hub.athlete.add_activity(**fields)
        self.strava_event(int(activity["id"]), "create")
        return activity

    def weigh_in(self, weight_kg: float, **fields: Any) -> dict[str, Any]:
        """A weigh-in on the scale now: stored at Withings, and the notification sent."""
        group = self.hub.athlete.add_weighin(weight_kg, **fields)
        self.withings_notify(int(group["date"]) - 1, int(group["date"]) + 1)
        return group

    # -- Withings: /notify ------------------------------------------------------------------------
    def withings(self, params: dict[str, str], token: str | None) -> Reply:
        if not self.hub.withings.tokens.check(token):
            return Reply(200, {"status": 401, "error": "invalid_token"})
        action, appli = params.get("action"), params.get("appli", "")
        callback = params.get("callbackurl", "")
        if action == "list":
            profiles = [p for p in self.withings_callbacks.values()
                        if not appli or str(p["appli"]) == appli]
            return Reply(200, {"status": 0, "body": {"profiles": profiles}})
        if action == "get":
            found = self.withings_callbacks.get(callback)
            return Reply(200, {"status": 0, "body": found} if found else
                         {"status": 2554, "error": "no such subscription"})
        if action == "revoke":
            if self.withings_callbacks.pop(callback, None) is None:
                return Reply(200, {"status": 294, "error": "no such subscription"})
            return Reply(200, {"status": 0, "body": {}})
        if action != "subscribe":
            return Reply(200, {"status": 2555, "error": f"unknown action {action!r}"})
        try:
            reachable = self.session.head(callback, timeout=ANSWER_WITHIN_S).status_code == 200
        except requests.RequestException:
            reachable = False
        if not reachable:
            return Reply(200, {"status": 293, "error": "the callback URL did not answer HEAD"})
        self.withings_callbacks[callback] = {
            "callbackurl": callback, "appli": int(appli or 1), "expires": 2_147_483_647,
            "comment": params.get("comment", ""),
        }
        return Reply(200, {"status": 0, "body": {}})

    def withings_notify(self, start_s: int, end_s: int,
                        userid: int | None = None) -> list[Delivery]:
        """Notifies every callback of measures taken in start_s..end_s."""
        body = {"userid": str(userid or self.hub.withings.userid), "appli": "1",
                "startdate": str(start_s), "enddate": str(end_s)}
        return [self._deliver(url, body, json_body=False) for url in self.withings_callbacks]

    # -- delivery ---------------------------------------------------------------------------------
    def _deliver(self, url: str, body: dict[str, Any], json_body: bool) -> Delivery:
        delivery = Delivery(body)
        with self._lock:
            self.deliveries.append(delivery)
        thread = threading.Thread(target=self._attempts, args=(url, delivery, json_body),
                                  daemon=True)
        self._threads.append(thread)
        thread.start()
        return delivery

    def _attempts(self, url: str, delivery: Delivery, json_body: bool) -> None:
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(RETRY_AFTER_S)
            try:
                kwargs: dict[str, Any] = {"json": delivery.body} if json_body else \
                    {"data": delivery.body}
                answer = requests.post(url, timeout=ANSWER_WITHIN_S, **kwargs)
                delivery.answers.append(str(answer.status_code))
                if answer.status_code == 200:
                    return
            except requests.RequestException as exc:
                delivery.answers.append(type(exc).__name__)

    def wait(self, timeout_s: float = 10.0) -> None:
        """Until every delivery so far has its last attempt (tests and the bench)."""
        deadline = time.monotonic() + timeout_s
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

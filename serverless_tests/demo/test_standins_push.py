"""The stand-ins' push side: Strava retries an event answered late, 3 attempts in all."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, jsonify, request

from demo.athlete import Athlete
from demo.standins import StandIns
from demo.standins.callback import Callback


def _callback(late_answers: int) -> tuple[Flask, list[Any]]:
    app = Flask(__name__)
    seen: list[Any] = []
    lock = threading.Lock()

    @app.post("/hook")
    def hook() -> Any:
        with lock:
            seen.append(request.get_json())
            late = len(seen) <= late_answers
        if late:
            threading.Event().wait(2.3)  # past Strava's 2 s
        return jsonify({})

    @app.get("/hook")
    def validate() -> Any:
        return jsonify({"hub.challenge": request.args["hub.challenge"]})

    return app, seen


def _subscribed(standins: StandIns, callback: Callback) -> None:
    reply = standins.push.strava("POST", "/api/v3/push_subscriptions", {
        "client_id": standins.strava_client_id, "client_secret": standins.strava_client_secret,
        "callback_url": callback.url("/hook"), "verify_token": "t"})
    assert reply.status == 201, reply.body


def test_an_event_answered_late_is_sent_again() -> None:
    app, seen = _callback(late_answers=1)
    with StandIns(Athlete.generate(seed=3, years=0.02)) as standins, Callback(app) as callback:
        _subscribed(standins, callback)
        delivery = standins.push.strava_event(42, "create")
        standins.push.wait()
    assert delivery is not None and delivery.answers == ["ReadTimeout", "200"]
    assert len(seen) == 2 and seen[0] == seen[1]


def test_an_event_never_answered_in_time_is_given_up_after_three_attempts() -> None:
    app, seen = _callback(late_answers=5)
    with StandIns(Athlete.generate(seed=3, years=0.02)) as standins, Callback(app) as callback:
        _subscribed(standins, callback)
        delivery = standins.push.strava_event(42, "update", updates={"title": "x"})
        standins.push.wait(15)
    assert delivery is not None and not delivery.delivered and len(delivery.answers) == 3


def test_a_callback_that_does_not_echo_is_not_subscribed() -> None:
    app = Flask(__name__)
    app.get("/hook")(lambda: jsonify({"hub.challenge": "wrong"}))
    with StandIns(Athlete.generate(seed=3, years=0.02)) as standins, Callback(app) as callback:
        reply = standins.push.strava("POST", "/api/v3/push_subscriptions", {
            "client_id": standins.strava_client_id,
            "client_secret": standins.strava_client_secret,
            "callback_url": callback.url("/hook"), "verify_token": "t"})
    assert reply.status == 400 and reply.body["errors"][0]["code"] == "not verifiable"
    assert standins.push.strava_subscription is None

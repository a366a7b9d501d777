"""The providers' webhooks: Strava's validation and events, Withings' check and notifications.

Not behind the API key (the providers cannot send it). An event is trusted for nothing but "go
and look": it is checked against what the store knows (our Strava subscription, the owner's
account), stored as a pending item, answered 200 at once and handed to the jobs side."""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from api.errors import error, invalid
from storage import boto3_client, events
from storage.base import Store
from storage.events import EventError, PushEvent

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
OPEN_ENDPOINTS = frozenset({
    "webhooks.strava_validation", "webhooks.strava_event",
    "webhooks.withings_check", "webhooks.withings_event",
})
# Per source address and minute. High enough for a provider's burst (Strava sends a thousand
# events in seconds after a bulk edit); the providers' read budget is guarded on the jobs side.
REQUESTS_PER_MIN = 1200
WINDOW_S = 60
IGNORED_WINDOW_S = 86_400
MAX_CHALLENGE_CHARS = 256
# The jobs function is the api's own name with the stage swapped (Zappa names functions
# <project>-<stage>), unless JOBS_FUNCTION names it.
API_STAGE, JOBS_STAGE = "-api", "-jobs"
PUSH_HANDLER = "collectors.lambda_handlers.push"  # the jobs side's entry (a name, not an import)
RECEIVED = {"status": "received"}


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    """The webhooks' settings, read where the app is made; `create_app(test_config)` may set
    any of them first: STRAVA_VERIFY_TOKEN, JOBS_FUNCTION, WEBHOOK_HAND_ON (a callable taking
    the provider, instead of the invoke), WEBHOOK_REQUESTS_PER_MIN, WEBHOOK_CLOCK."""
    config = state.app.config
    if "STRAVA_VERIFY_TOKEN" not in config:
        import settings

        config["STRAVA_VERIFY_TOKEN"] = settings.get().secret("strava_verify_token")
    config.setdefault("JOBS_FUNCTION", "")
    config.setdefault("WEBHOOK_HAND_ON", None)
    config.setdefault("WEBHOOK_REQUESTS_PER_MIN", REQUESTS_PER_MIN)
    config.setdefault("WEBHOOK_CLOCK", time.time)


def _store() -> Store:
    """One store per warm container, opened at the first event."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get("pulseboard.webhooks.store")
    if store is None:
        from storage import open_store

        config = app.config
        store = config["STORE"] or open_store(config["STORE_URL"], config["USER"], config["AWS"])
        app.extensions["pulseboard.webhooks.store"] = store
    return store


def _now() -> float:
    clock: Callable[[], float] = current_app.config["WEBHOOK_CLOCK"]
    return clock()


def _flooded() -> ResponseReturnValue | None:
    address = request.remote_addr or "unknown"
    count = _store().hit(f"webhook:{address}", WINDOW_S, _now())
    if count <= current_app.config["WEBHOOK_REQUESTS_PER_MIN"]:
        return None
    log.warning("webhook requests from %s over the limit (%d this minute)", address, count)
    return error(429, "too_many_requests", "too many webhook requests from this address; "
                 "try again in a minute", headers={"Retry-After": str(WINDOW_S)})


def jobs_function() -> str:
    """The jobs function to invoke, or "" on a laptop (the scheduler's next tick takes over)."""
    named: str = current_app.config["JOBS_FUNCTION"]
    if named:
        return named
    context = request.environ.get("lambda.context")  # Zappa hands the Lambda context here
    own = str(getattr(context, "function_name", "") or "")
    return own.removesuffix(API_STAGE) + JOBS_STAGE if own.endswith(API_STAGE) else ""


def _hand_on(provider: str) -> None:
    """Asks the jobs side to look now. A failure is logged only: the event is stored, and the
    jobs function's next run (scheduled, or the next event's invoke) applies it."""
    hand_on = current_app.config["WEBHOOK_HAND_ON"]
    try:
        if hand_on is not None:
            hand_on(provider)
            return
        function = jobs_function()
        if not function:
            return
        client = current_app.extensions.get("pulseboard.webhooks.lambda")
        if client is None:
            client = boto3_client("lambda", current_app.config["AWS"])
            current_app.extensions["pulseboard.webhooks.lambda"] = client
        client.invoke(FunctionName=function, InvocationType="Event",
                      Payload=json.dumps({"command": PUSH_HANDLER, "source": provider}).encode())
    except Exception as exc:  # the answer must stay a quick 200: the event is safe in the store
        log.warning("could not hand the %s event on (%s); it stays pending", provider, exc)


def _receive(event: PushEvent) -> ResponseReturnValue:
    store = _store()
    why = events.foreign(event, events.known(store, event.provider))
    if why:
        # Acknowledged as any other (no oracle for a forger), never fetched.
        log.warning("ignored a %s event: %s", event.provider, why)
        store.hit(f"webhook-ignored:{event.provider}", IGNORED_WINDOW_S, _now())
        return jsonify(RECEIVED)
    if events.add_pending(store, event, _now()):
        _hand_on(event.provider)
    return jsonify(RECEIVED)


@bp.get("/strava")
def strava_validation() -> ResponseReturnValue:
    """Strava's subscription check: the challenge is echoed only for our verify token."""
    flooded = _flooded()
    if flooded is not None:
        return flooded
    if request.args.get("hub.mode") != "subscribe":
        return invalid("hub.mode", "hub.mode must be 'subscribe'")
    challenge = request.args.get("hub.challenge") or ""
    if not challenge or len(challenge) > MAX_CHALLENGE_CHARS:
        return invalid("hub.challenge",
                       f"hub.challenge must be 1 to {MAX_CHALLENGE_CHARS} characters")
    expected: str = current_app.config["STRAVA_VERIFY_TOKEN"]
    given = request.args.get("hub.verify_token") or ""
    if not expected:
        return error(503, "not_configured", "PULSEBOARD_STRAVA_VERIFY_TOKEN is not set: no "
                     "subscription can be validated")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("a Strava validation with a wrong verify token")
        return error(403, "forbidden", "wrong hub.verify_token")
    return jsonify({"hub.challenge": challenge})


@bp.post("/strava")
def strava_event() -> ResponseReturnValue:
    flooded = _flooded()
    if flooded is not None:
        return flooded
    body: Any = request.get_json(silent=True)
    try:
        event = events.parse_strava(body)
    except EventError as exc:
        return invalid("body", f"not a Strava event: {exc}")
    return _receive(event)


@bp.route("/withings", methods=["HEAD"])
def withings_check() -> ResponseReturnValue:
    """Withings checks the callback answers before it subscribes it."""
    flooded = _flooded()
    return flooded if flooded is not None else ("", 200)


@bp.post("/withings")
def withings_event() -> ResponseReturnValue:
    flooded = _flooded()
    if flooded is not None:
        return flooded
    try:
        event = events.parse_withings(request.form)
    except EventError as exc:
        return invalid("body", f"not a Withings notification: {exc}")
    return _receive(event)

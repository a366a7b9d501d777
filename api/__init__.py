"""The forecast API: a Flask app factory with the /forecast blueprint, health and OpenAPI."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from api.errors import error
from api.errors import register as register_errors
from api.forecast import bp as forecast_bp
from api.latest import LatestValues
from api.model import ModelCache
from api.webhooks import OPEN_ENDPOINTS as WEBHOOK_ENDPOINTS
from api.webhooks import bp as webhooks_bp

OPEN_ENDPOINTS = frozenset({"service.health"}) | WEBHOOK_ENDPOINTS

service = Blueprint("service", __name__)


@service.get("/health")
def health() -> ResponseReturnValue:
    """"ok" while a model is served, else "unavailable"; the rest only to the key's holder: an
    anonymous caller learns nothing about the model or why it failed."""
    models: ModelCache = current_app.extensions["pulseboard.model"]
    loaded = models.get()
    body: dict[str, Any] = {"status": "ok" if loaded else "unavailable"}
    if _has_key():
        problem = models.problem
        body.update({
            "model_loaded": loaded is not None,
            "model_version": loaded.manifest["version"] if loaded else None,
            "trained_at": loaded.manifest["trained_at"] if loaded else None,
            "problem": {"error": problem.kind, "message": problem.message} if problem else None,
        })
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    if loaded is None:
        response.status_code = 503
        response.headers["Retry-After"] = "60"
    return response


@service.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    from api.openapi import document

    loaded = current_app.extensions["pulseboard.model"].get()
    # Behind API Gateway the stage (e.g. /dev) is the script root: the document says so.
    return jsonify(document(request.script_root or "/", loaded.manifest if loaded else None))


def _has_key() -> bool:
    """Whether the request carries the API's key (always, for an API without one: the demo)."""
    key: str = current_app.config["API_KEY"]
    given = request.headers.get("X-Api-Key")
    return not key or (given is not None and hmac.compare_digest(given.encode(), key.encode()))


def _check_key() -> ResponseReturnValue | None:
    if request.endpoint in OPEN_ENDPOINTS or _has_key():
        return None
    if request.headers.get("X-Api-Key") is None:
        return error(401, "unauthorized", "this API needs a key: send it in the X-Api-Key header")
    return error(401, "unauthorized", "wrong API key in X-Api-Key")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The API. Settings come from `settings.get()`; `test_config` overrides any of:
    API_KEY, MODEL_KEY, DEMO, BLOBS / STORE (adapters to use instead of the configured URLs),
    MANIFEST_CHECK_S, NO_MODEL_RETRY_S, LATEST_TTL_S, MAX_CONTENT_LENGTH, CLOCK. Nothing is
    opened or loaded here: the first request that needs the model loads it.

    Outside the demo the API refuses to start without its key: its answers carry the owner's
    weight and fat ratio, and its stage is public on API Gateway."""
    import settings

    current = settings.get()  # the edge: settings are read here and passed down
    app = Flask(__name__)
    app.config.from_mapping(
        API_KEY=current.secret("api_key"),
        MODEL_KEY=current.secret("model_key"),
        DEMO=current.demo,
        BLOBS_URL=current.blobs_url,
        STORE_URL=current.store_url,
        USER=current.user,
        AWS=current.aws,
        BLOBS=None,
        STORE=None,
        MANIFEST_CHECK_S=300.0,
        NO_MODEL_RETRY_S=15.0,
        LATEST_TTL_S=300.0,
        MAX_CONTENT_LENGTH=4096,
        CLOCK=time.monotonic,
    )
    if test_config:
        app.config.from_mapping(test_config)
    config = app.config
    if not config["API_KEY"] and not config["DEMO"]:
        raise settings.SettingsError(
            "PULSEBOARD_API_KEY is not set: outside the demo the forecast API answers only with "
            "its key. Set it (in the cloud the SSM parameter API_KEY under PULSEBOARD_SSM_PREFIX, "
            "which make deploy STAGE=api creates), or PULSEBOARD_DEMO=true for the demo"
        )

    def open_blobs() -> Any:
        from storage import open_blobs as open_url

        return config["BLOBS"] or open_url(config["BLOBS_URL"], config["AWS"])

    def open_store() -> Any:
        from storage import open_store as open_url

        return config["STORE"] or open_url(config["STORE_URL"], config["USER"], config["AWS"])

    app.extensions["pulseboard.model"] = ModelCache(
        open_blobs, config["MANIFEST_CHECK_S"], config["NO_MODEL_RETRY_S"], config["CLOCK"],
        config["MODEL_KEY"],
    )
    app.extensions["pulseboard.latest"] = LatestValues(
        open_store, config["LATEST_TTL_S"], config["CLOCK"]
    )
    app.before_request(_check_key)
    app.register_blueprint(forecast_bp)
    app.register_blueprint(service)
    app.register_blueprint(webhooks_bp)
    register_errors(app)
    return app

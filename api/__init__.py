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

OPEN_ENDPOINTS = frozenset({"service.health"})

service = Blueprint("service", __name__)


@service.get("/health")
def health() -> ResponseReturnValue:
    models: ModelCache = current_app.extensions["pulseboard.model"]
    loaded = models.get()
    problem = models.problem
    return jsonify({
        "status": "ok",
        "model_loaded": loaded is not None,
        "model_version": loaded.manifest["version"] if loaded else None,
        "trained_at": loaded.manifest["trained_at"] if loaded else None,
        "problem": {"error": problem.kind, "message": problem.message} if problem else None,
    })


@service.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    from api.openapi import document

    loaded = current_app.extensions["pulseboard.model"].get()
    # Behind API Gateway the stage (e.g. /dev) is the script root: the document says so.
    return jsonify(document(request.script_root or "/", loaded.manifest if loaded else None))


def _check_key() -> ResponseReturnValue | None:
    key: str = current_app.config["API_KEY"]
    if not key or request.endpoint in OPEN_ENDPOINTS:
        return None
    given = request.headers.get("X-Api-Key")
    if given is None:
        return error(401, "unauthorized", "this API needs a key: send it in the X-Api-Key header")
    if not hmac.compare_digest(given.encode(), key.encode()):
        return error(401, "unauthorized", "wrong API key in X-Api-Key")
    return None


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The API. Settings come from `settings.get()`; `test_config` overrides any of:
    API_KEY, BLOBS / STORE (adapters to use instead of the configured URLs), MANIFEST_CHECK_S,
    NO_MODEL_RETRY_S, LATEST_TTL_S, MAX_CONTENT_LENGTH, CLOCK. Nothing is opened or loaded here:
    the first request that needs the model loads it."""
    import settings

    current = settings.get()
    app = Flask(__name__)
    app.config.from_mapping(
        API_KEY=current.secret("api_key"),
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

    def open_blobs() -> Any:
        from storage import open_blobs as open_url

        return config["BLOBS"] or open_url(config["BLOBS_URL"], config["AWS"])

    def open_store() -> Any:
        from storage import open_store as open_url

        return config["STORE"] or open_url(config["STORE_URL"], config["USER"], config["AWS"])

    app.extensions["pulseboard.model"] = ModelCache(
        open_blobs, config["MANIFEST_CHECK_S"], config["NO_MODEL_RETRY_S"], config["CLOCK"]
    )
    app.extensions["pulseboard.latest"] = LatestValues(
        open_store, config["LATEST_TTL_S"], config["CLOCK"]
    )
    app.before_request(_check_key)
    app.register_blueprint(forecast_bp)
    app.register_blueprint(service)
    register_errors(app)
    return app

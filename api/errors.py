"""Every error the API gives is JSON: `{"error": code, "message": ..., ["field": ...]}`."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

logger = logging.getLogger(__name__)


def error(status: int, code: str, message: str, field: str | None = None,
          headers: dict[str, str] | None = None) -> ResponseReturnValue:
    body: dict[str, Any] = {"error": code, "message": message}
    if field is not None:
        body["field"] = field
    return jsonify(body), status, headers or {}


def invalid(field: str, message: str) -> ResponseReturnValue:
    return error(400, "invalid_parameter", message, field)


def _snake(name: str) -> str:
    return name.lower().replace(" ", "_").replace("-", "_")


def register(app: Flask) -> None:
    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return invalid("body", f"the body is larger than {limit} bytes; send only the five "
                               "fields of a forecast")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        headers = {}
        if exc.code == 405:
            # Werkzeug knows the allowed methods; keep its Allow header on the JSON answer.
            allow = exc.get_response().headers.get("Allow")
            headers = {"Allow": allow} if allow else {}
        message = {404: "no such endpoint; see /openapi.json for what this API answers",
                   405: "method not allowed here; see the Allow header"}.get(
            exc.code or 500, exc.description or "")
        return error(exc.code or 500, _snake(exc.name), message, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        logger.exception("unexpected error answering a request")
        return error(500, "internal_error", "the API failed unexpectedly; the error is logged, "
                                            "try again later")

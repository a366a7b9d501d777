"""The OpenAPI 3.1 document of the API, built from the same limits the inputs are checked with."""

from __future__ import annotations

from typing import Any

from api import inputs
from models import serve
from models.features import TARGETS

# 2: /health tells an anonymous caller only ok or unavailable; 2.1: a forecast says the method
# served at its horizon, why, and its 80 % interval.
VERSION = "2.1.0"


def _input_schema(field: inputs.Field, trained: dict[str, Any] | None = None) -> dict[str, Any]:
    """A field's schema; with the loaded model's feature range, its maximum is what that model
    accepts (the document tells the truth about the model being served)."""
    low = inputs.WEEKS_MIN if field is inputs.WEEKS else 0
    high = inputs.model_range(trained)[1] if trained else field.hard_max
    schema: dict[str, Any] = {
        "type": "integer" if field.integer else "number",
        "minimum": low,
        "maximum": round(high, 4),
        "description": f"{field.description} ({field.unit})",
    }
    if trained:
        schema["description"] += (f"; the model was trained on weeks from {trained['min']:g} to "
                                  f"{trained['max']:g} {field.unit}")
    if field is inputs.WEEKS:
        schema["default"] = inputs.WEEKS_DEFAULT
    return schema


def _pair(nullable: bool, description: str) -> dict[str, Any]:
    value: dict[str, Any] = {"type": ["number", "null"]} if nullable else {"type": "number"}
    return {
        "type": "object",
        "description": description,
        "properties": {name: value for name in TARGETS},
        "required": list(TARGETS),
        "additionalProperties": False,
    }


def _error(description: str, codes: list[str] | None = None,
           with_field: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"allOf": [{"$ref": "#/components/schemas/Error"}]}
    if codes:
        schema["properties"] = {"error": {"enum": codes}}
    if with_field:
        schema["required"] = ["field"]
    return {"description": description, "content": {"application/json": {"schema": schema}}}


DEFAULT_ERROR = _error("Any other error (404 unknown path, 405 method, 500), as JSON")


def _health(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Health"}}}}


def document(server_url: str = "/", manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document; with the served model's manifest, input maxima are that model's."""
    fields = [*inputs.FIELDS.values(), inputs.WEEKS]
    trained = {f["name"]: f for f in manifest["features"]} if manifest else {}
    range_note = (
        "Each input's maximum is what the served model accepts: "
        f"{inputs.RANGE_MARGIN_FACTOR:g}× the largest week it was trained on (at least that week "
        "plus a small margin), never more than a plausible week; while no model is loaded, the "
        "plausible maxima are shown. A running speed (distance_km / duration_h) over "
        f"{inputs.MAX_RUN_SPEED_KMH:g} km/h is refused as well."
    )
    parameters = [
        {
            "name": f.name,
            "in": "query",
            "required": f is not inputs.WEEKS,
            "schema": _input_schema(f, trained.get(f.name)),
        }
        for f in fields
    ]
    forecast_responses = {
        "200": {
            "description": "Expected change per week, over the horizon, from the latest values",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Forecast"}}},
        },
        "400": _error("An input is missing, not a finite number, negative, absurd, unknown, "
                      "or the body is too large or not JSON", ["invalid_parameter"],
                      with_field=True),
        "401": _error("X-Api-Key missing or wrong (every API but the demo's has a key)",
                      ["unauthorized"]),
        "503": _error("No usable model: none published yet (no_model), or the newest cannot be "
                      "loaded: its size, sha256, signature or contents are wrong, or the blob "
                      "store cannot be read (model_unavailable)",
                      ["no_model", "model_unavailable"]),
        "default": DEFAULT_ERROR,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pulseboard forecast API",
            "version": VERSION,
            "description": "Weekly change of weight and fat ratio for a weekly training plan, "
                           "from a k-nearest-neighbours model trained on your own weeks. "
                           "Every endpoint but /health needs the API's key in X-Api-Key (only "
                           "the demo runs without one): the answers carry the owner's latest "
                           "weight and fat ratio. Units are metric and times UTC, whatever units "
                           "and zone the dashboard shows: each field's name says its unit "
                           "(`weight_kg`, `distance_km`, `duration_h`, `fat_ratio_pct`), times "
                           "are ISO 8601 ending in Z. "
                           + range_note,
        },
        "servers": [{"url": server_url}],
        "security": [{"ApiKey": []}],
        "paths": {
            "/forecast": {
                "get": {
                    "operationId": "getForecast",
                    "summary": "Forecast from query parameters",
                    "parameters": parameters,
                    "responses": forecast_responses,
                },
                "post": {
                    "operationId": "postForecast",
                    "summary": "Forecast from a JSON body with the same fields",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/ForecastRequest"}}},
                    },
                    "responses": forecast_responses,
                },
            },
            "/health": {
                "get": {
                    "operationId": "getHealth",
                    "summary": "Whether forecasts are served; never needs a key, and only with "
                               "the key says which model and what went wrong",
                    # No key, or the key: both are answered (the key adds the details).
                    "security": [{}, {"ApiKey": []}],
                    "responses": {
                        "200": _health("A model is served: status ok"),
                        "503": _health("No model can be served: status unavailable"),
                        "default": DEFAULT_ERROR,
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "responses": {
                        "200": {"description": "OpenAPI 3.1 document",
                                "content": {"application/json": {"schema": {"type": "object"}}}},
                        "401": forecast_responses["401"],
                        "default": DEFAULT_ERROR,
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
            "schemas": {
                "ForecastRequest": {
                    "type": "object",
                    "properties": {f.name: _input_schema(f, trained.get(f.name)) for f in fields},
                    "required": list(inputs.FIELDS),
                    "additionalProperties": False,
                },
                "Forecast": {
                    "type": "object",
                    "required": ["weeks", "method", "reason", "per_week", "total", "interval",
                                 "start", "end", "model"],
                    "properties": {
                        "inputs": {"$ref": "#/components/schemas/ForecastRequest"},
                        "weeks": {"type": "integer", "minimum": inputs.WEEKS_MIN,
                                  "maximum": inputs.WEEKS_MAX},
                        "method": {
                            "enum": ["model", *serve.BASELINES],
                            "description": "what answers at this horizon: the model, or the "
                                           "baseline that beat it in the held-out backtest at "
                                           "the nearest backtested horizon (1, 4 or 12 weeks)",
                        },
                        "reason": {"type": "string", "description": "why that method is served"},
                        "interval": {"$ref": "#/components/schemas/Interval"},
                        "per_week": _pair(False, "change per week: kg, percentage points"),
                        "total": _pair(False, "change over the horizon (per_week × weeks)"),
                        "start": _pair(True, "latest stored values, null when none"),
                        "end": _pair(True, "start + total, null when start is null"),
                        "model": {"$ref": "#/components/schemas/ModelSummary"},
                    },
                    "additionalProperties": False,
                },
                "ModelSummary": {
                    "type": "object",
                    "required": ["version", "trained_at", "k", "cv_mae", "baseline_mae"],
                    "properties": {
                        "version": {"type": "string"},
                        "trained_at": {"type": "string", "format": "date-time"},
                        "k": {"type": "integer", "minimum": 1},
                        "weeks_used": {"type": ["integer", "null"]},
                        "cv_mae": {"$ref": "#/components/schemas/TargetErrors"},
                        "baseline_mae": {"$ref": "#/components/schemas/TargetErrors"},
                    },
                },
                "Interval": {
                    "type": "object",
                    "description": "the total change's prediction interval: split-conformal "
                                   "from the backtest's held-out residuals at the nearest "
                                   "backtested horizon, scaled by the root of the horizon ratio",
                    "required": ["level", *TARGETS],
                    "properties": {
                        "level": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                        **{name: {"type": "array", "items": {"type": "number"}, "minItems": 2,
                                  "maxItems": 2, "description": "[low, high]"}
                           for name in TARGETS},
                    },
                    "additionalProperties": False,
                },
                "TargetErrors": {
                    "type": "object",
                    "description": "mean absolute error per week on held-out weeks",
                    "properties": {name: {"type": "number", "minimum": 0} for name in TARGETS},
                    "required": list(TARGETS),
                },
                "Health": {
                    "type": "object",
                    "description": "Without the key, status alone",
                    "required": ["status"],
                    "properties": {
                        "status": {"enum": ["ok", "unavailable"]},
                        "model_loaded": {"type": "boolean"},
                        "model_version": {"type": ["string", "null"]},
                        "trained_at": {"type": ["string", "null"]},
                        "problem": {"oneOf": [{"type": "null"},
                                              {"$ref": "#/components/schemas/Error"}]},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string",
                                  "description": "the input that was wrong (400 only)"},
                    },
                },
            },
        },
    }

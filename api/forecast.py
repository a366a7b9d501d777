"""The forecast blueprint: GET|POST /forecast, validated inputs in, weekly changes out."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from api import inputs
from api.errors import error, invalid
from models import serve
from models.features import FEATURES, TARGETS

bp = Blueprint("forecast", __name__)


def _read_inputs() -> dict[str, float | int]:
    if request.method == "GET":
        return inputs.from_query(request.args.to_dict(flat=False))
    for name in request.args:
        raise inputs.InvalidInput(name, f"{name} is in the query string; a POST sends every "
                                        "field in its JSON body")
    if request.mimetype != "application/json":
        raise inputs.InvalidInput("Content-Type", f"Content-Type {request.mimetype or 'none'!r}: "
                                                  "send a JSON object as application/json")
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413, answered as a 400
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise inputs.InvalidInput("body", "the body is not valid JSON; send an object such as "
                                          '{"distance_km": 25, "duration_h": 2.5, '
                                          '"crossfit_sessions": 3, "avg_weight_kg": 40, '
                                          '"weeks": 4}') from None
    return inputs.from_json(body)


def _model_summary(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": manifest["version"],
        "trained_at": manifest["trained_at"],
        "k": manifest["k"],
        "weeks_used": manifest.get("weeks_used"),
        "cv_mae": manifest.get("cv_mae"),
        "baseline_mae": manifest.get("baseline_mae"),
    }


@bp.route("/forecast", methods=["GET", "POST"])
def forecast() -> ResponseReturnValue:
    try:
        values = _read_inputs()
    except inputs.InvalidInput as exc:
        return invalid(exc.field, exc.message)
    models = current_app.extensions["pulseboard.model"]
    loaded = models.get()
    if loaded is None:
        problem = models.problem
        return error(503, problem.kind, problem.message, headers={"Retry-After": "60"})
    try:
        inputs.check_model_range(values, loaded.manifest)
    except inputs.InvalidInput as exc:
        return invalid(exc.field, exc.message)
    weeks = int(values["weeks"])
    answer = serve.forecast(loaded.predictor, loaded.manifest,
                            [float(values[name]) for name in FEATURES], weeks)
    total = answer["total"]
    start = current_app.extensions["pulseboard.latest"].get()
    end = {name: None if start[name] is None else round(start[name] + total[name], 3)
           for name in TARGETS}
    response = jsonify({
        "inputs": values,
        "weeks": weeks,
        "method": answer["method"],
        "reason": answer["reason"],
        "per_week": answer["per_week"],
        "total": total,
        "interval": answer["interval"],
        "start": start,
        "end": end,
        "model": _model_summary(loaded.manifest),
    })
    response.headers["Cache-Control"] = "no-store"
    return response

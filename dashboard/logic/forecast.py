"""Forecast page: ask the forecast API (server side) and turn its answer into a projected path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import plotly.graph_objects as go
import requests
from plotly.subplots import make_subplots

from core import localtime, units
from dashboard.logic.common import COLORS, empty_figure, style

TIMEOUT_S = 5.0
FIELDS = ("distance_km", "duration_h", "crossfit_sessions", "avg_weight_kg", "weeks")


@dataclass(frozen=True)
class Answer:
    ok: bool
    data: dict[str, Any] | None = None
    message: str = ""


def fetch(api_url: str, api_key: str, params: dict[str, Any],
          session: requests.Session | None = None, timeout_s: float = TIMEOUT_S) -> Answer:
    """GET /forecast; every failure becomes a message a person can act on."""
    http = session or requests.Session()
    headers = {"X-Api-Key": api_key} if api_key else {}
    try:
        response = http.get(f"{api_url.rstrip('/')}/forecast", params=params, headers=headers,
                            timeout=timeout_s)
    except requests.RequestException:
        return Answer(False, message=(
            f"The forecast API at {api_url} is not answering. Start it with "
            "`python -m api serve` (or check PULSEBOARD_API_URL), then try again."))
    return parse(response.status_code, _json(response), api_url)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def parse(status: int, body: Any, api_url: str = "the API") -> Answer:
    body = body if isinstance(body, dict) else {}
    if status == 200 and isinstance(body.get("per_week"), dict):
        return Answer(True, data=body)
    if status == 503:
        if body.get("error") == "no_model":
            return Answer(False, message=(
                "No forecast model has been trained yet. Run `python -m models train` "
                "once some weeks of data are synced."))
        return Answer(False, message=f"The forecast API is unavailable: "
                                     f"{body.get('message') or 'try again later'}.")
    if status == 400:
        field = body.get("field", "an input")
        return Answer(False, message=f"The API refused {field}: {body.get('message', '')}")
    if status in (401, 403):
        return Answer(False, message="The forecast API refused the dashboard's key: set "
                                     "PULSEBOARD_API_KEY to the API's key.")
    return Answer(False, message=f"Unexpected answer from {api_url} (HTTP {status}).")


def validate(values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Inputs as API parameters, or a message naming the first bad one."""
    limits = {
        "distance_km": (0, 300), "duration_h": (0, 40), "crossfit_sessions": (0, 21),
        "avg_weight_kg": (0, 500), "weeks": (1, 52),  # the API serves up to 52 weeks
    }
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = values.get(name)
        if value is None or value == "":
            return {}, f"Fill in {name.replace('_', ' ')}."
        try:
            number = float(value)
        except (TypeError, ValueError):
            return {}, f"{name.replace('_', ' ')} must be a number."
        low, high = limits[name]
        if not low <= number <= high:
            return {}, f"{name.replace('_', ' ')} must be between {low} and {high}."
        out[name] = int(number) if name in ("crossfit_sessions", "weeks") else number
    return out, ""


def path_figure(data: dict[str, Any], latest: dict[str, float | None]) -> go.Figure:
    """Weekly path from the latest measured values (or the API's start when it gives one)."""
    weeks = int(data.get("weeks") or 0)
    per_week = data.get("per_week") or {}
    start = data.get("start") or {}
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("Weight", "Fat ratio"))
    drawn = False
    for col, (kind, unit) in enumerate((("weight_kg", "kg"), ("fat_ratio_pct", "%")), start=1):
        base = latest.get(kind)
        if base is None:
            base = start.get(kind)
        step = per_week.get(kind)
        if base is None or step is None:
            continue
        xs = list(range(weeks + 1))
        ys = [round(float(base) + float(step) * w, 2) for w in xs]
        color = COLORS["good"] if step <= 0 else COLORS["bad"]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=kind,
                                 line={"color": color}), row=1, col=col)
        name = "weight" if kind == "weight_kg" else "fat ratio"
        fig.update_yaxes(title_text=f"{name} ({unit})", row=1, col=col)
        fig.update_xaxes(title_text="weeks from now", row=1, col=col)
        drawn = True
    if not drawn:
        return empty_figure("No starting weight yet — sync Withings to draw the path.")
    fig.update_layout(showlegend=False)
    return style(fig, 360)


TARGETS = {"weight_kg": ("weight", "kg"), "fat_ratio_pct": ("fat ratio", "%")}


def model_summary(data: dict[str, Any], unit: str = "metric", tz: tzinfo | None = None) -> str:
    """Which model answered and how far off it is on weeks it did not see, beside the guess
    "no change" (the baseline a forecast has to beat): weight in the viewer's units, the
    training time on their clock with its zone (`tz`; None: UTC)."""
    model = data.get("model") or {}
    parts = [f"Model {model.get('version', '?')}"]
    trained = _instant(model.get("trained_at"))
    if trained is not None:
        parts.append(f"trained {localtime.fmt_datetime(trained, tz or localtime.UTC_ZONE)}")
    elif model.get("trained_at"):
        parts.append(f"trained {model['trained_at']}")
    if model.get("k") is not None:
        parts.append(f"k = {model['k']}")
    mae, base = model.get("cv_mae"), model.get("baseline_mae")
    if isinstance(mae, dict):
        errors = []
        for key, (name, si_unit) in TARGETS.items():
            k = units.factor("weight", unit) if si_unit == "kg" else 1.0
            shown = units.label("weight", unit) if si_unit == "kg" else si_unit
            if isinstance(mae.get(key), int | float):
                text = f"{name} ±{mae[key] * k:.2f} {shown}"
                if isinstance(base, dict) and isinstance(base.get(key), int | float):
                    text += f" (no-change guess ±{base[key] * k:.2f} {shown})"
                errors.append(text)
        if errors:
            parts.append("mean weekly error on held-out weeks: " + ", ".join(errors))
    return " · ".join(parts)


def _instant(value: Any) -> datetime | None:
    """An ISO-8601 instant from the API ("2026-11-29T06:00:00Z"), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

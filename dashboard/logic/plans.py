"""Forecast page: two plans side by side (the one typed, the last 4 weeks'), each as a path with
its 80 % band from the end of the actual trend, in the owner's units, with the goal line."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from core import units
from dashboard.logic import goal as goals
from dashboard.logic.common import COLORS, empty_dict, figure_dict
from models.features import FEATURES, Week

HISTORY_WEEKS = 12
RECENT_WEEKS = 4
THIS_PLAN, RECENT = "this plan", f"your last {RECENT_WEEKS} weeks"
PLAN_COLORS = {THIS_PLAN: COLORS["main"], RECENT: "#6c757d"}
BAND_COLORS = {THIS_PLAN: "rgba(44,123,229,0.18)", RECENT: "rgba(108,117,125,0.15)"}
# The form: (field, label, quantity converted, metric default, step)
FORM = (
    ("distance_km", "Running distance per week", "distance", 25.0, 1.0),
    ("duration_h", "Running time per week (h)", None, 2.5, 0.5),
    ("crossfit_sessions", "Lifting sessions per week", None, 3, 1),
    ("avg_weight_kg", "Average weight lifted", "lifted", 40.0, 5.0),
    ("weeks", "Horizon (weeks)", None, 12, 1),
)
SI_PER_FIELD = {"distance": 1000.0, "lifted": 1.0}  # the API's km and kg from SI m and kg


def label(field: str, text: str, quantity: str | None, unit: str) -> str:
    if quantity is None:
        return text
    return f"{text} ({units.label(quantity, unit)})"


def to_form(field: str, value_api: float, quantity: str | None, unit: str) -> float:
    """An API value (km, kg) as the form shows it."""
    if quantity is None:
        return value_api
    return round(value_api * SI_PER_FIELD[quantity] * units.factor(quantity, unit), 1)


def from_form(values: Mapping[str, Any], unit: str) -> dict[str, Any]:
    """The form's values (the owner's units) as the API's (km, kg); what is not a number is
    left for validation to name."""
    out = dict(values)
    for field, _text, quantity, _default, _step in FORM:
        value = values.get(field)
        if quantity is None or value in (None, ""):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        out[field] = units.from_display(number, quantity, unit) / SI_PER_FIELD[quantity]
    return out


def recent_plan(weeks: Sequence[Week], n: int = RECENT_WEEKS) -> dict[str, float] | None:
    """The mean of the last `n` complete weeks' training, as a plan; None without them."""
    recent = list(weeks)[-n:]
    if len(recent) < n:
        return None
    plan = {name: sum(float(getattr(w, name)) for w in recent) / n for name in FEATURES}
    plan["crossfit_sessions"] = round(plan["crossfit_sessions"])
    return {name: round(value, 2) for name, value in plan.items()}


def _path(start: float, answer: Mapping[str, Any], target: str, weeks: int
          ) -> tuple[list[float], list[float], list[float]] | None:
    per_week = (answer.get("per_week") or {}).get(target)
    if not isinstance(per_week, int | float):
        return None
    mid = [start + per_week * w for w in range(weeks + 1)]
    band = ((answer.get("interval") or {}).get(target))
    if not (isinstance(band, list) and len(band) == 2):
        return mid, [], []
    # The band at the horizon, narrowing to nothing at today as the root of the weeks ahead.
    total = per_week * weeks
    low_off, high_off = band[0] - total, band[1] - total
    low = [m + low_off * math.sqrt(w / weeks) for w, m in enumerate(mid)]
    high = [m + high_off * math.sqrt(w / weeks) for w, m in enumerate(mid)]
    return mid, low, high


TARGETS = (("weight_kg", "weight", "x", "y"), ("fat_ratio_pct", "fat ratio", "x2", "y2"))


def figure(answers: Mapping[str, Mapping[str, Any]], history: Mapping[str, Mapping[date, float]],
           weeks: int, unit: str, today: date, goal: goals.Goal | None = None) -> dict[str, Any]:
    """Weight and fat ratio side by side: the last 12 weeks of the actual trend, then each plan's
    path with its 80 % band, and the goal as a dashed line. The first trace is the typed plan's
    weight path."""
    shown = {THIS_PLAN: COLORS["main"], RECENT: "#6c757d"}
    scale = {"weight_kg": units.factor("weight", unit), "fat_ratio_pct": 1.0}
    dates = [(today + timedelta(days=7 * w)).isoformat() for w in range(weeks + 1)]
    paths: list[dict[str, Any]] = []
    bands: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for target, _name, xa, ya in TARGETS:
        trend = history.get(target) or {}
        if not trend:
            continue
        days = sorted(d for d in trend if d > today - timedelta(weeks=HISTORY_WEEKS))
        start = trend[max(trend)]
        k = scale[target]
        lines.append({"type": "scatter", "mode": "lines", "name": "actual trend",
                      "x": [d.isoformat() for d in days],
                      "y": [round(trend[d] * k, 2) for d in days], "xaxis": xa, "yaxis": ya,
                      "line": {"color": "#212529", "width": 2},
                      "showlegend": target == "weight_kg"})
        for plan, answer in answers.items():
            made = _path(start, answer, target, weeks)
            if made is None:
                continue
            mid, low, high = made
            paths.append({"type": "scatter", "mode": "lines+markers", "name": plan,
                          "x": dates, "y": [round(v * k, 2) for v in mid], "xaxis": xa,
                          "yaxis": ya, "line": {"color": shown[plan], "width": 2},
                          "marker": {"size": 4}, "showlegend": target == "weight_kg"})
            if low:
                bands.append({"type": "scatter", "mode": "lines", "fill": "toself",
                              "name": f"{plan}: 80 % interval", "hoverinfo": "skip",
                              "x": dates + dates[::-1],
                              "y": [round(v * k, 2) for v in high + low[::-1]],
                              "xaxis": xa, "yaxis": ya, "line": {"width": 0},
                              "fillcolor": BAND_COLORS[plan],
                              "showlegend": target == "weight_kg"})
        if goal is not None and goal.target == target:
            first = days[0].isoformat() if days else today.isoformat()
            lines.append({"type": "scatter", "mode": "lines", "name": "goal",
                          "x": [first, dates[-1]], "y": [round(goal.value * k, 2)] * 2,
                          "xaxis": xa, "yaxis": ya,
                          "line": {"color": COLORS["good"], "dash": "dash"}})
    if not paths:
        return empty_dict("No starting weight yet: sync Withings (or add a weigh-in) to draw "
                          "the path.")
    weight_label = units.label("weight", unit)
    return figure_dict(paths + bands + lines, 420,
                       xaxis={"domain": [0, 0.45], "title": {"text": "date"}},
                       xaxis2={"domain": [0.55, 1], "title": {"text": "date"},
                               "anchor": "y2"},
                       yaxis={"title": {"text": f"weight ({weight_label})"}},
                       yaxis2={"title": {"text": "fat ratio (%)"}, "anchor": "x2"})


def summary(answer: Mapping[str, Any], weeks: int, unit: str) -> str:
    """"weight -0.20 kg/week, fat ratio -0.10 %/week; in 12 weeks -2.4 kg (80 %: -3.1 to -1.2)"."""
    per_week = answer.get("per_week") or {}
    total = answer.get("total") or {}
    band = answer.get("interval") or {}
    parts, totals = [], []
    for target, name, _xa, _ya in TARGETS:
        rate = per_week.get(target)
        if not isinstance(rate, int | float):
            continue
        k = units.factor("weight", unit) if target == "weight_kg" else 1.0
        label_ = units.label("weight", unit) if target == "weight_kg" else "%"
        parts.append(f"{name} {rate * k:+.2f} {label_}/week")
        whole = total.get(target)
        if isinstance(whole, int | float):
            text = f"{name} {whole * k:+.1f} {label_}"
            low_high = band.get(target)
            if isinstance(low_high, list) and len(low_high) == 2:
                text += (f" ({band.get('level', 0.8):.0%} interval {low_high[0] * k:+.1f} to "
                         f"{low_high[1] * k:+.1f})")
            totals.append(text)
    out = ", ".join(parts)
    if totals:
        out += f"; in {weeks} weeks: " + ", ".join(totals)
    return out

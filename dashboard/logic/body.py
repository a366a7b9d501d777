"""Weight page's body view: the trend line, its weekly rates, fat and lean mass, the goal, as the
owner reads them (their units, their days)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from core import localtime, units
from dashboard.logic import goal as goals
from dashboard.logic import trend
from dashboard.logic.common import COLORS, empty_dict, figure_dict

Points = Iterable[tuple[datetime, float]]
# Days read before the first day shown: the trend starts at a weigh-in and takes weeks to settle.
WARM_UP_DAYS = 60


@dataclass(frozen=True)
class Body:
    """The series of the body view, in SI, by local day."""

    weight: dict[date, float]  # daily means
    weight_trend: dict[date, float]
    rates: dict[int, float | None]  # kg per week over the last 2/4/8 weeks
    fat_ratio_trend: dict[date, float]
    fat_trend: dict[date, float]  # kg
    lean_trend: dict[date, float]  # kg


def build(weights: Points, fat_ratios: Points, tz: tzinfo) -> Body:
    weight = trend.daily_means(weights, tz)
    ratio = trend.daily_means(fat_ratios, tz)
    fat_kg, lean_kg = trend.composition(weight, ratio)
    weight_trend = trend.smooth(weight)
    return Body(weight, weight_trend, trend.rates(weight_trend, weight),
                trend.smooth(ratio), trend.smooth(fat_kg), trend.smooth(lean_kg))


def _kg(value_kg: float, unit: str) -> float:
    return round(value_kg * units.factor("weight", unit), 2)


def _series(by_day: Mapping[date, float], unit: str, since: date | None) -> tuple[list, list]:
    days = [d for d in sorted(by_day) if since is None or d >= since]
    return [d.isoformat() for d in days], [_kg(by_day[d], unit) for d in days]


def trend_figure(body: Body, unit: str, since: date | None = None,
                 goal: goals.Goal | None = None,
                 typed: Mapping[date, float] | None = None) -> dict[str, Any]:
    """The scale's daily weights as dots, the trend as a line, and the goal as a dashed line;
    `typed`: the days with a weigh-in typed in by hand (source manual), ringed as such."""
    if not body.weight:
        return empty_dict("No weigh-ins yet: sync Withings, or add one below.")
    label = units.label("weight", unit)
    x, y = _series(body.weight, unit, since)
    tx, ty = _series(body.weight_trend, unit, since)
    traces: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "markers", "x": x, "y": y, "name": "scale (daily mean)",
         "marker": {"size": 5, "color": "rgba(44,123,229,0.35)"}},
        {"type": "scatter", "mode": "lines", "x": tx, "y": ty, "name": "trend",
         "line": {"color": COLORS["main"], "width": 3}},
    ]
    if typed:
        mx, my = _series(typed, unit, since)
        traces.append({"type": "scatter", "mode": "markers", "x": mx, "y": my,
                       "name": "typed in (manual)",
                       "marker": {"size": 9, "color": "rgba(0,0,0,0)",
                                  "line": {"width": 2, "color": COLORS["accent"]}}})
    if goal is not None and goal.target == "weight_kg" and tx:
        end = goal.by.isoformat() if goal.by and goal.by.isoformat() > tx[-1] else tx[-1]
        traces.append({"type": "scatter", "mode": "lines", "x": [tx[0], end],
                       "y": [_kg(goal.value, unit)] * 2, "name": "goal",
                       "line": {"color": COLORS["good"], "dash": "dash", "width": 2}})
    return figure_dict(traces, 380, title="Weight trend (exponentially smoothed)",
                       yaxis={"title": {"text": f"weight ({label})"}},
                       xaxis={"title": {"text": "day"}})


def composition_figure(body: Body, unit: str, since: date | None = None) -> dict[str, Any]:
    """Fat mass and lean mass trends (weight × fat ratio, smoothed), on two axes."""
    if not body.fat_trend:
        return empty_dict("Fat and lean mass need weigh-ins with a fat ratio.", 320)
    label = units.label("weight", unit)
    fx, fy = _series(body.fat_trend, unit, since)
    lx, ly = _series(body.lean_trend, unit, since)
    traces = [
        {"type": "scatter", "mode": "lines", "x": fx, "y": fy, "name": "fat mass",
         "line": {"color": COLORS["accent"], "width": 2}},
        {"type": "scatter", "mode": "lines", "x": lx, "y": ly, "name": "lean mass",
         "yaxis": "y2", "line": {"color": COLORS["good"], "width": 2}},
    ]
    return figure_dict(traces, 320, title="Fat mass and lean mass (trend)",
                       yaxis={"title": {"text": f"fat mass ({label})"}},
                       yaxis2={"title": {"text": f"lean mass ({label})"}, "overlaying": "y",
                               "side": "right", "showgrid": False})


def rate_text(rate_kg: float | None, unit: str) -> str:
    if rate_kg is None:
        return "—"
    per_week = rate_kg * units.factor("weight", unit)
    return f"{per_week:+.2f} {units.label('weight', unit)}/week"


def summary(body: Body, unit: str, stone: bool = False) -> list[tuple[str, str]]:
    """(label, value) pairs: the trend now, its rates over 2/4/8 weeks, fat and lean mass.
    `stone` (imperial only): body weight in stones and pounds, as the overview shows it; the
    rates and masses stay in lb, and their labels say so."""
    if not body.weight_trend:
        return []
    last = max(body.weight_trend)
    stone = stone and unit == "imperial"
    now = body.weight_trend[last]
    rows = [("Trend", units.fmt_stone(now) if stone else units.fmt(now, "weight", unit))]
    in_lb = " (lb)" if stone else ""
    rows += [(f"Rate, last {weeks} weeks{in_lb}", rate_text(rate, unit))
             for weeks, rate in body.rates.items()]
    if body.fat_trend:
        day = max(body.fat_trend)
        rows.append(("Fat mass", units.fmt(body.fat_trend[day], "weight", unit)))
        rows.append(("Lean mass", units.fmt(body.lean_trend[day], "weight", unit)))
    if body.fat_ratio_trend:
        rows.append(("Fat ratio", f"{body.fat_ratio_trend[max(body.fat_ratio_trend)]:.1f} %"))
    return rows


def goal_text(goal: goals.Goal | None, body: Body, unit: str, today: date) -> str:
    """One sentence on the goal: how far, whether the current rate gets there and when, and
    what rate meeting its date takes."""
    if goal is None:
        return "No goal set."
    series = body.weight_trend if goal.target == "weight_kg" else body.fat_ratio_trend
    if not series:
        return "A goal needs weigh-ins first."
    days = sorted(series)
    start, current = series[days[0]], series[days[-1]]
    if goal.target == "weight_kg":
        rate = body.rates.get(4)
        fmt = lambda v: units.fmt(v, "weight", unit)  # noqa: E731
        per_week = lambda v: rate_text(v, unit)  # noqa: E731
    else:
        rate = trend.weekly_rate(series, 4, body.weight)
        fmt = lambda v: f"{v:.1f} %"  # noqa: E731
        per_week = lambda v: "—" if v is None else f"{v:+.2f} points/week"  # noqa: E731
    done = goals.progress(goal, start, current, rate, today)
    by = f" by {localtime.fmt_date(goal.by)}" if goal.by else ""
    text = f"Goal {fmt(goal.value)}{by}: {done.status}"
    if done.status == "maintaining":
        return text + f" (within {fmt(goals.BAND[goal.target])} of it)."
    if done.done is not None:
        text += f", {done.done:.0%} of the way"
    text += f"; {fmt(abs(done.remaining))} to go"
    if done.projected:
        text += f", reached around {localtime.fmt_date(done.projected)} at {per_week(rate)}"
    if done.needed_per_week is not None:
        text += f"; meeting the date takes {per_week(done.needed_per_week)}"
    return text + "."


def since(today: date, days: int) -> date:
    return today - timedelta(days=days)

"""Crossfit page's strength view: estimated 1RM per rep range, PRs (heaviest set, best estimated
1RM, best session volume) with their dates, and strength relative to the trend bodyweight."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from core import localtime, units
from dashboard.logic.common import COLORS, empty_dict, figure_dict

# Epley and Brzycki agree within 4 % up to 10 reps (equal at 10); above, Epley runs away (30
# reps would be twice the weight) while Brzycki stays closer to tested maxima, so sets of 11 and
# 12 use Brzycki, and sets of more than 12 reps measure endurance, not a max: no 1RM from them.
EPLEY_MAX_REPS = 10
MAX_REPS_FOR_1RM = 12
FORMULA = ("Estimated 1RM: Epley, weight × (1 + reps / 30), up to 10 reps; Brzycki, "
           "weight × 36 / (37 − reps), for 11 and 12; sets of more than 12 reps give none.")
KINDS = {"heaviest": "heaviest set", "e1rm": "best estimated 1RM", "volume": "best volume"}
SYMBOLS = {"heaviest": "diamond", "e1rm": "star", "volume": "square"}
# PRs of several kinds often fall on one session: the larger marks are drawn first, under.
SIZES = {"heaviest": 16, "e1rm": 11, "volume": 8}


def one_rm(weight_kg: float, reps: int) -> float | None:
    """The estimated one-rep max of a set, None for sets of more than 12 reps (or none)."""
    if reps < 1 or reps > MAX_REPS_FOR_1RM:
        return None
    if reps == 1:
        return float(weight_kg)
    if reps <= EPLEY_MAX_REPS:
        return float(weight_kg) * (1 + reps / 30)
    return float(weight_kg) * 36 / (37 - reps)


@dataclass(frozen=True)
class Session:
    day: date
    heaviest_kg: float
    e1rm_kg: float | None
    volume_kg: float  # Σ weight × reps


@dataclass(frozen=True)
class Record:
    kind: str  # "heaviest", "e1rm", "volume"
    value_kg: float
    day: date


def sessions(sets: Iterable[Any], exercise: str) -> list[Session]:
    """One row per day the exercise was done, oldest first."""
    by_day: dict[date, list[Any]] = defaultdict(list)
    for lift in sets:
        if lift.exercise == exercise:
            by_day[lift.date].append(lift)
    out = []
    for day in sorted(by_day):
        lifts = by_day[day]
        estimates = [e for e in (one_rm(s.weight_kg, s.reps) for s in lifts) if e is not None]
        out.append(Session(day, max(s.weight_kg for s in lifts),
                           max(estimates) if estimates else None,
                           sum(s.weight_kg * s.reps for s in lifts)))
    return out


def records(per: list[Session]) -> tuple[dict[str, Record], list[Record]]:
    """(the current PR of each kind, every time one was set), a PR being strictly better than
    every session before."""
    current: dict[str, Record] = {}
    history: list[Record] = []
    for session in per:
        for kind, value in (("heaviest", session.heaviest_kg), ("e1rm", session.e1rm_kg),
                            ("volume", session.volume_kg)):
            if value is None or value <= 0:
                continue
            if kind not in current or value > current[kind].value_kg:
                current[kind] = Record(kind, value, session.day)
                history.append(current[kind])
    return current, history


def bodyweight_on(trend: Mapping[date, float], day: date) -> float | None:
    """The trend weight on `day`, else the nearest earlier one, else the first."""
    if not trend:
        return None
    earlier = [d for d in trend if d <= day]
    return trend[max(earlier)] if earlier else trend[min(trend)]


def e1rm_figure(per: list[Session], exercise: str, unit: str) -> dict[str, Any]:
    """The session's best estimated 1RM over time, each PR marked where it was set."""
    dated = [s for s in per if s.e1rm_kg is not None]
    if not per:
        return empty_dict("No sets of this exercise yet.")
    k = units.factor("lifted", unit)
    label = units.label("lifted", unit)
    traces: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines+markers", "name": "estimated 1RM",
        "x": [s.day.isoformat() for s in dated], "y": [round(s.e1rm_kg * k, 1) for s in dated
                                                        if s.e1rm_kg is not None],
        "line": {"color": COLORS["accent"]}, "marker": {"size": 5}}]
    _, history = records(per)
    by_day = {s.day: s for s in per}
    for kind, name in KINDS.items():
        marks = [r for r in history if r.kind == kind]
        if not marks:
            continue
        # Every PR sits on the 1RM line (its session's estimate), its kind told by its symbol.
        ys = [by_day[r.day].e1rm_kg for r in marks]
        traces.append({"type": "scatter", "mode": "markers", "name": f"PR: {name}",
                       "x": [r.day.isoformat() for r in marks],
                       "y": [None if y is None else round(y * k, 1) for y in ys],
                       "text": [units.fmt(r.value_kg, "lifted", unit) for r in marks],
                       "hovertemplate": "%{x}: " + name + " %{text}<extra></extra>",
                       "marker": {"size": SIZES[kind], "symbol": SYMBOLS[kind],
                                  "line": {"width": 1, "color": "#212529"}}})
    return figure_dict(traces, 360, title=f"{exercise}: estimated 1-rep max and PRs",
                       yaxis={"title": {"text": f"estimated 1RM ({label})"}},
                       xaxis={"title": {"text": "session date"}})


def pr_table(sets: Iterable[Any], bodyweight: Mapping[date, float], unit: str
             ) -> list[dict[str, str]]:
    """One row per exercise: its current PRs with their dates, and the best estimated 1RM ÷ the
    trend bodyweight on that day (relative strength)."""
    rows = list(sets)
    out = []
    for exercise in sorted({s.exercise for s in rows}, key=str.casefold):
        current, _ = records(sessions(rows, exercise))
        row = {"exercise": exercise}
        for kind, name in KINDS.items():
            record = current.get(kind)
            row[name] = "—" if record is None else (
                f"{units.fmt(record.value_kg, 'lifted', unit)} ({localtime.fmt_date(record.day)})")
        best = current.get("e1rm")
        weight = bodyweight_on(bodyweight, best.day) if best else None
        row["relative strength"] = "—" if best is None or not weight else \
            f"{best.value_kg / weight:.2f} × bodyweight"
        out.append(row)
    return out

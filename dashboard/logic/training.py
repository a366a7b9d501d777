"""Best efforts, Eddington and fitness/fatigue/form for the running page, as plain figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from analytics import best_efforts, eddington, load
from core import units as u
from dashboard.logic.common import COLORS, empty_dict, figure_dict
from dashboard.logic.running_data import RUN_SPORTS, RunIndex

# The sports the load chart stacks: running, lifting, and everything else with a load.
GROUPS = ("running", "lifting", "other")
GROUP_COLORS = {"running": COLORS["main"], "lifting": COLORS["accent"], "other": "#8892a0"}
# A non-running activity with no heart rate (a ride, a swim): its minutes at HRr 0.5, an easy
# effort, rather than a running pace its speed does not mean.
OTHER_HRR = 0.5
YEARS_SHOWN = 5
MAX_DAYS_SHOWN = 1100


def duration(seconds: float) -> str:
    """h:mm:ss, or m:ss under an hour."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Best:
    name: str  # the distance's name ("5 km")
    time_s: float
    start_s: float
    start_distance_m: float
    activity_id: str
    run_name: str
    day: date


Records = tuple[dict[str, Best], dict[int, dict[str, Best]]]


def efforts(index: RunIndex) -> list[Best]:
    """Every stored best effort of every run (multisport legs included), from the summaries."""
    found = []
    for a in index.activities:
        if a.sport_type not in RUN_SPORTS:
            continue
        doc = index.summaries.get(a.id)
        for name, value in ((doc or {}).get("efforts") or {}).items():
            if name not in best_efforts.DISTANCES_M or not isinstance(value, list) or \
                    len(value) != 3:
                continue
            found.append(Best(name, float(value[0]), float(value[1]), float(value[2]), a.id,
                              a.name or "Run", a.local_start().date()))
    return found


def records(index: RunIndex) -> Records:
    """(all-time best per distance, each year's best per distance)."""
    all_time: dict[str, Best] = {}
    by_year: dict[int, dict[str, Best]] = defaultdict(dict)
    for e in efforts(index):
        if e.name not in all_time or e.time_s < all_time[e.name].time_s:
            all_time[e.name] = e
        year = by_year[e.day.year]
        if e.name not in year or e.time_s < year[e.name].time_s:
            year[e.name] = e
    return all_time, dict(by_year)


def records_table(found: Records, units: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the best-efforts table: all-time with its run, then recent years."""
    all_time, by_year = found
    years = sorted(by_year, reverse=True)[:YEARS_SHOWN]
    header = ["distance", "all-time best", "pace", "run", *[str(y) for y in years]]
    rows = []
    for name, metres in best_efforts.DISTANCES_M.items():
        best = all_time.get(name)
        if best is None:
            continue
        pace = u.fmt_pace(best.time_s / (metres / 1000), units)
        rows.append([name, duration(best.time_s), pace,
                     f"{best.run_name} · {best.day.isoformat()}",
                     *[duration(by_year[y][name].time_s) if name in by_year[y] else "—"
                       for y in years]])
    return header, rows


def prs_of(found: Records, activity_id: str) -> list[tuple[Best, str]]:
    """The efforts of one run that are an all-time PR or its year's best, each with its kind
    (from `records(index)`)."""
    all_time, by_year = found
    marks: list[tuple[Best, str]] = []
    for name in best_efforts.DISTANCES_M:
        best = all_time.get(name)
        if best is not None and best.activity_id == activity_id:
            marks.append((best, "PR"))
            continue
        for year in by_year.values():
            if name in year and year[name].activity_id == activity_id:
                marks.append((year[name], f"{year[name].day.year} best"))
    return marks


def eddingtons(index: RunIndex, units: str) -> list[tuple[str, eddington.Eddington]]:
    """Running's Eddington number (in the viewer's km or miles), then each other sport's."""
    factor = u.factor("distance", units)
    per_sport: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for a in index.activities:
        if a.distance_m <= 0:
            continue
        sport = "Running" if a.sport_type in RUN_SPORTS else a.sport_type
        per_sport[sport][a.local_start().date()] += a.distance_m * factor
    ordered = sorted(per_sport, key=lambda s: (s != "Running", s))
    return [(s, eddington.eddington(per_sport[s].values())) for s in ordered]


def activity_loads(index: RunIndex) -> dict[str, dict[date, float]]:
    """Each day's load per group, from the summaries' TRIMP when a stream had heart rate."""
    loads: dict[str, dict[date, float]] = {g: defaultdict(float) for g in ("running", "other")}
    for a in index.activities:
        doc = index.summaries.get(a.id) or {}
        trimp = doc.get("trimp")
        stream_trimp = float(trimp) if isinstance(trimp, int | float) else None
        day = a.local_start().date()
        if a.sport_type in RUN_SPORTS:
            value, _how = load.run_load(a.moving_time_s, a.distance_m, a.average_heartrate_bpm,
                                        stream_trimp)
            loads["running"][day] += value
        elif stream_trimp is not None:
            loads["other"][day] += stream_trimp
        elif a.average_heartrate_bpm:
            loads["other"][day] += load.trimp_average(a.moving_time_s, a.average_heartrate_bpm)
        else:
            loads["other"][day] += float(a.moving_time_s / 60 * load.trimp_factor(OTHER_HRR))
    return {g: dict(v) for g, v in loads.items()}


def fitness_figure(groups: dict[str, dict[date, float]], low: date | None, high: date | None,
                   today: date) -> dict[str, Any]:
    """Fitness (CTL) stacked by sport, fatigue (ATL) and form (TSB), daily in [low, high)."""
    days = [d for loads in groups.values() for d in loads]
    if not days:
        return empty_dict("No training yet: runs, rides and the lifting log make the load.")
    first = min(days)
    last = (high - timedelta(days=1)) if high else max(max(days), today)
    if last < first:
        return empty_dict("No training before this range ends.")
    forms = {g: load.form(groups.get(g, {}), last, start=first) for g in GROUPS}
    dates = forms["running"].days()
    begin = max(0, (low - first).days) if low else 0
    if begin >= len(dates):
        return empty_dict("No training in this range yet.")
    # One point a day up to MAX_DAYS_SHOWN; a longer range shows every k-th day (ending on its
    # last), so ten years send as many points as three.
    step = max(1, -(-(len(dates) - begin) // MAX_DAYS_SHOWN))
    picks = np.arange(len(dates) - 1, begin - 1, -step)[::-1]
    x = [dates[i].isoformat() for i in picks.tolist()]
    total_ctl = sum(f.ctl for f in forms.values())
    total_atl = sum(f.atl for f in forms.values())
    assert isinstance(total_ctl, np.ndarray) and isinstance(total_atl, np.ndarray)
    share = {g: float(np.sum(forms[g].load[begin:])) for g in GROUPS}
    total = sum(share.values()) or 1.0
    traces: list[dict[str, Any]] = []
    for g in GROUPS:
        if not np.any(forms[g].load):
            continue
        # Each sport's share of the load in the range, in its legend entry.
        traces.append({"type": "scatter", "x": x, "y": np.round(forms[g].ctl[picks], 1).tolist(),
                       "name": f"fitness: {g} ({100 * share[g] / total:.0f} % of load)",
                       "stackgroup": "ctl", "mode": "lines",
                       "line": {"width": 0.5, "color": GROUP_COLORS[g]}})
    traces.append({"type": "scatter", "x": x, "y": np.round(total_atl[picks], 1).tolist(),
                   "name": "fatigue (ATL, 7 d)", "mode": "lines",
                   "line": {"color": COLORS["bad"], "width": 1.5}})
    form_tsb = np.round((total_ctl - total_atl)[picks], 1).tolist()
    traces.append({"type": "scatter", "x": x, "y": form_tsb,
                   "name": "form (TSB = CTL − ATL)", "mode": "lines",
                   "line": {"color": COLORS["good"], "width": 2, "dash": "dot"}})
    return figure_dict(traces, 380, margin={"t": 15},
                       yaxis={"title": {"text": "load (TRIMP a day)"}, "zeroline": True},
                       xaxis={"title": {"text": "date"}}, hovermode="x unified",
                       legend={"orientation": "h", "y": -0.25})

"""Explore page: any numeric field of any dataset in six linked views."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import pandas as pd

from core import units
from core.localtime import UTC_ZONE
from dashboard.logic.common import COLORS, downsample_time, empty_dict, figure_dict, round_list

DATASETS = {
    "activities": "Activities (Strava and files)",
    "measurements": "Body measurements (Withings), daily",
    "lift_sets": "Lifting sets (sheet)",
}
CATEGORY = {"activities": "sport_type", "measurements": "weekday", "lift_sets": "exercise"}
TIME = {"activities": "start_time", "measurements": "time", "lift_sets": "date"}
EMPTY = "Nothing to explore yet — run `python -m collectors sync` to bring data in."


# A column's suffix per quantity and units: `distance_mi`, `average_speed_mph`.
_SUFFIX = {"km": "km", "mi": "mi", "m": "m", "ft": "ft", "km/h": "kmh", "mph": "mph",
           "kg": "kg", "lb": "lb"}


def _column(name: str, quantity: str, shown_in: units.Units) -> str:
    return f"{name}_{_SUFFIX[units.label(quantity, shown_in)]}"


def local_times(times: pd.Series, tz: tzinfo) -> pd.Series:
    """UTC instants on the viewer's clock (plotly draws a time as its wall-clock reading)."""
    return pd.to_datetime(times, utc=True).dt.tz_convert(tz)


def activities_table(frame: pd.DataFrame, shown_in: units.Units = "metric",
                     tz: tzinfo = UTC_ZONE) -> pd.DataFrame:
    """One row per activity in the viewer's units and clock."""
    if frame.empty:
        return pd.DataFrame()
    out = pd.DataFrame({
        "start_time": local_times(frame["start_time"], tz), "name": frame["name"],
        "sport_type": frame["sport_type"],
        _column("distance", "distance", shown_in):
            frame["distance_m"] * units.factor("distance", shown_in),
        "moving_time_min": frame["moving_time_s"] / 60,
        _column("elevation_gain", "elevation", shown_in):
            frame["elevation_gain_m"] * units.factor("elevation", shown_in),
        _column("average_speed", "speed", shown_in):
            frame["average_speed_mps"].astype(float) * units.factor("speed", shown_in),
        "average_heartrate_bpm": frame["average_heartrate_bpm"].astype(float),
    })
    return out


def measurements_table(series: dict[str, pd.DataFrame], shown_in: units.Units = "metric",
                       tz: tzinfo = UTC_ZONE) -> pd.DataFrame:
    """One row per local calendar day (the viewer's), each type's mean that day."""
    columns = {}
    for kind, frame in series.items():
        if frame.empty:
            continue
        day = pd.to_datetime(local_times(frame["time"], tz).dt.date)
        name = kind
        values = frame["value"].astype(float)
        if kind.endswith("_kg"):
            name = f"{kind.removesuffix('_kg')}_{_SUFFIX[units.label('weight', shown_in)]}"
            values = values * units.factor("weight", shown_in)
        columns[name] = values.groupby(day.values).mean()
    if not columns:
        return pd.DataFrame()
    wide = pd.DataFrame(columns).dropna(how="all").sort_index().reset_index(names="time")
    wide["weekday"] = wide["time"].dt.day_name()
    wide["name"] = wide["time"].dt.date.astype(str)
    return wide


def lifts_table(frame: pd.DataFrame, shown_in: units.Units = "metric") -> pd.DataFrame:
    """One row per set; the sheet's dates as they are (a calendar day has no zone)."""
    if frame.empty:
        return pd.DataFrame()
    out = frame[["date", "exercise", "set_index", "reps"]].copy()
    weight = _column("weight", "lifted", shown_in)
    out[weight] = frame["weight_kg"] * units.factor("lifted", shown_in)
    out[_column("volume", "lifted", shown_in)] = out["reps"] * out[weight]
    out["name"] = out["date"].dt.date.astype(str) + " " + out["exercise"]
    return out


UNITS = {"km": "km", "min": "min", "m": "m", "kmh": "km/h", "bpm": "bpm", "kg": "kg",
         "pct": "%", "s": "s", "mps": "m/s", "mi": "mi", "ft": "ft", "mph": "mph", "lb": "lb"}


def label(field: str) -> str:
    """A column name as an axis title: `average_speed_kmh` → `average speed (km/h)`."""
    head, _, tail = field.rpartition("_")
    if head and tail in UNITS:
        return f"{head.replace('_', ' ')} ({UNITS[tail]})"
    return field.replace("_", " ")


def numeric_fields(table: pd.DataFrame, dataset: str) -> list[str]:
    skip = {"set_index"}
    return [c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(table[c])
            and table[c].notna().any()]


def views(table: pd.DataFrame, dataset: str, field: str | None, other: str | None,
          selected: list[int] | None = None) -> dict[str, dict[str, Any]]:
    """Six views of one field; points selected in the scatter narrow the other five. Plain
    figure dicts: graph_objects' validation cost more than the data did."""
    names = ("scatter", "top", "line", "box", "hist", "pie")
    if table.empty or not field or field not in table.columns:
        return {n: empty_dict(EMPTY, 280) for n in names}
    other = other if other and other in table.columns else field
    time_col, cat = TIME[dataset], CATEGORY[dataset]
    data = table.dropna(subset=[field]).reset_index(drop=True)
    focus = data.iloc[[i for i in selected if i < len(data)]] if selected else data
    top = focus.nlargest(10, field)
    out: dict[str, dict[str, Any]] = {}

    sample = data if len(data) <= 3000 else data.sample(3000, random_state=0).sort_index()
    out["scatter"] = figure_dict([
        {"type": "scatter", "x": round_list(sample[other]), "y": round_list(sample[field]),
         "mode": "markers", "customdata": sample.index.tolist(), "name": dataset,
         "marker": {"size": 5, "opacity": 0.45}},
        {"type": "scatter", "x": round_list(top[other]), "y": round_list(top[field]),
         "mode": "markers", "name": "top 10",
         "marker": {"size": 10, "color": COLORS["accent"], "symbol": "diamond"}},
    ], 320, xaxis={"title": {"text": label(other)}}, yaxis={"title": {"text": label(field)}},
        # Legend above the plot: below it, it would sit on the axis title.
        dragmode="select", legend={"orientation": "h", "y": 1.12, "x": 0})

    # Activities share names ("Morning Run"): the date keeps ten bars ten bars.
    when = pd.to_datetime(top[time_col]).dt.strftime("%Y-%m-%d")
    names = top["name"].astype(str)
    bar_labels = [n if n.startswith(w) else f"{w} {n}" for w, n in zip(when, names, strict=True)]
    out["top"] = figure_dict(
        [{"type": "bar", "x": bar_labels, "y": round_list(top[field]),
          "marker": {"color": COLORS["accent"]}}],
        320, yaxis={"title": {"text": label(field)}},
        # Categories: labels that are dates would otherwise turn the axis into a calendar.
        xaxis={"title": {"text": "top 10"}, "tickangle": -30, "type": "category"})

    series = downsample_time(focus[[time_col, field]].sort_values(time_col), time_col, field)
    out["line"] = figure_dict(
        [{"type": "scatter", "x": iso_times(series[time_col]), "y": round_list(series[field]),
          "mode": "lines"}],
        280, yaxis={"title": {"text": label(field)}}, xaxis={"title": {"text": "date"}})

    out["box"] = figure_dict(
        [{"type": "box", "y": round_list(group[field]), "name": str(name), "boxpoints": False}
         for name, group in focus.groupby(cat)],
        280, yaxis={"title": {"text": label(field)}},
        xaxis={"title": {"text": cat.replace("_", " ")}}, showlegend=False)

    out["hist"] = figure_dict(
        [{"type": "histogram", "x": round_list(focus[field]), "nbinsx": 40,
          "marker": {"color": COLORS["main"]}}],
        280, xaxis={"title": {"text": label(field)}}, yaxis={"title": {"text": "count"}})

    counts = focus[cat].astype(str).value_counts().head(12)
    out["pie"] = figure_dict(
        [{"type": "pie", "labels": counts.index.tolist(), "values": counts.values.tolist(),
          "hole": 0.4}],
        280, title={"text": f"records by {cat.replace('_', ' ')}", "font": {"size": 13}})
    return out


def iso_times(values: pd.Series) -> list[str]:
    """Times as the ISO strings plotly.js reads (the JSON encoder need not know pandas): each
    time's Timestamp.isoformat()."""
    import numpy as np

    times = pd.Series(pd.to_datetime(values)).reset_index(drop=True)
    if times.empty:
        return []
    zone = times.dt.tz
    wall = times.dt.tz_localize(None) if zone is not None else times
    ns = wall.to_numpy(dtype="datetime64[ns]")
    seconds = ns.astype("datetime64[s]")
    offsets_s = (((wall - times.dt.tz_convert("UTC").dt.tz_localize(None))
                  .dt.total_seconds().to_numpy()) if zone is not None else None)
    if times.isna().any() or (ns != seconds).any() or (
            offsets_s is not None and (offsets_s % 60 != 0).any()):
        # Sub-second times, odd offsets, gaps: isoformat's own spelling, one by one.
        return [t.isoformat() for t in times]
    # Whole seconds (what the stores hold): numpy spells the wall clock, the offsets are few.
    text = np.datetime_as_string(seconds, unit="s")
    if offsets_s is None:
        return [str(t) for t in text]
    spelled = {o: f"{'-' if o < 0 else '+'}{int(abs(o)) // 3600:02d}:{int(abs(o)) % 3600 // 60:02d}"
               for o in set(offsets_s.tolist())}
    return [f"{t}{spelled[o]}" for t, o in zip(text.tolist(), offsets_s.tolist(), strict=True)]


def selected_indices(selection: Any) -> list[int] | None:
    """The scatter's selected rows (their index is each point's customdata); anything else a
    selection may hold is ignored."""
    points = selection.get("points") if isinstance(selection, dict) else None
    if not isinstance(points, list):
        return None
    found = []
    for point in points:
        if isinstance(point, dict) and point.get("curveNumber") == 0:
            try:
                found.append(int(point["customdata"]))
            except (KeyError, TypeError, ValueError, OverflowError):
                continue
    return [i for i in found if i >= 0] or None

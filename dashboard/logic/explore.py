"""Explore page: any numeric field of any dataset in six linked views."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.logic.common import COLORS, downsample_time, empty_figure, round_list, style

DATASETS = {
    "activities": "Activities (Strava and files)",
    "measurements": "Body measurements (Withings), daily",
    "lift_sets": "Lifting sets (sheet)",
}
CATEGORY = {"activities": "sport_type", "measurements": "weekday", "lift_sets": "exercise"}
TIME = {"activities": "start_time", "measurements": "time", "lift_sets": "date"}
EMPTY = "Nothing to explore yet — run `python -m collectors sync` to bring data in."


def activities_table(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame()
    out = pd.DataFrame({
        "start_time": frame["start_time"], "name": frame["name"],
        "sport_type": frame["sport_type"],
        "distance_km": frame["distance_m"] / 1000,
        "moving_time_min": frame["moving_time_s"] / 60,
        "elevation_gain_m": frame["elevation_gain_m"],
        "average_speed_kmh": frame["average_speed_mps"].astype(float) * 3.6,
        "average_heartrate_bpm": frame["average_heartrate_bpm"].astype(float),
    })
    return out


def measurements_table(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    columns = {}
    for kind, frame in series.items():
        if not frame.empty:
            columns[kind] = frame.set_index("time")["value"].resample("D").mean()
    if not columns:
        return pd.DataFrame()
    wide = pd.DataFrame(columns).dropna(how="all").reset_index(names="time")
    wide["weekday"] = wide["time"].dt.day_name()
    wide["name"] = wide["time"].dt.date.astype(str)
    return wide


def lifts_table(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame()
    out = frame[["date", "exercise", "set_index", "reps", "weight_kg"]].copy()
    out["volume_kg"] = out["reps"] * out["weight_kg"]
    out["name"] = out["date"].dt.date.astype(str) + " " + out["exercise"]
    return out


UNITS = {"km": "km", "min": "min", "m": "m", "kmh": "km/h", "bpm": "bpm", "kg": "kg",
         "pct": "%", "s": "s", "mps": "m/s"}


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
          selected: list[int] | None = None) -> dict[str, go.Figure]:
    """Six views of one field; points selected in the scatter narrow the other five."""
    names = ("scatter", "top", "line", "box", "hist", "pie")
    if table.empty or not field or field not in table.columns:
        return {n: empty_figure(EMPTY, 280) for n in names}
    other = other if other and other in table.columns else field
    time_col, cat = TIME[dataset], CATEGORY[dataset]
    data = table.dropna(subset=[field]).reset_index(drop=True)
    focus = data.iloc[[i for i in selected if i < len(data)]] if selected else data
    top = focus.nlargest(10, field)
    out: dict[str, go.Figure] = {}

    sample = data if len(data) <= 3000 else data.sample(3000, random_state=0).sort_index()
    scatter = go.Figure(go.Scatter(
        x=round_list(sample[other]), y=round_list(sample[field]), mode="markers",
        customdata=list(sample.index), name=dataset, marker={"size": 5, "opacity": 0.45},
    ))
    scatter.add_trace(go.Scatter(
        x=round_list(top[other]), y=round_list(top[field]), mode="markers", name="top 10",
        marker={"size": 10, "color": COLORS["accent"], "symbol": "diamond"},
    ))
    scatter.update_xaxes(title_text=label(other))
    scatter.update_yaxes(title_text=label(field))
    out["scatter"] = style(scatter, 320)
    # Legend above the plot: below it, it would sit on the axis title.
    scatter.update_layout(dragmode="select", legend={"orientation": "h", "y": 1.12, "x": 0})

    # Activities share names ("Morning Run"): the date keeps ten bars ten bars.
    when = pd.to_datetime(top[time_col]).dt.strftime("%Y-%m-%d")
    names = top["name"].astype(str)
    bar_labels = [n if n.startswith(w) else f"{w} {n}" for w, n in zip(when, names, strict=True)]
    bar = go.Figure(go.Bar(x=bar_labels, y=round_list(top[field]),
                           marker_color=COLORS["accent"]))
    bar.update_yaxes(title_text=label(field))
    bar.update_xaxes(title_text="top 10", tickangle=-30)
    out["top"] = style(bar, 320)

    series = downsample_time(focus[[time_col, field]].sort_values(time_col), time_col, field)
    line = go.Figure(go.Scatter(x=series[time_col], y=round_list(series[field]), mode="lines"))
    line.update_yaxes(title_text=label(field))
    line.update_xaxes(title_text="date")
    out["line"] = style(line, 280)

    box = go.Figure()
    for name, group in focus.groupby(cat):
        box.add_trace(go.Box(y=round_list(group[field]), name=str(name), boxpoints=False))
    box.update_yaxes(title_text=label(field))
    box.update_xaxes(title_text=cat.replace("_", " "))
    box.update_layout(showlegend=False)
    out["box"] = style(box, 280)

    hist = go.Figure(go.Histogram(x=focus[field], nbinsx=40, marker_color=COLORS["main"]))
    hist.update_xaxes(title_text=label(field))
    hist.update_yaxes(title_text="count")
    out["hist"] = style(hist, 280)

    counts = focus[cat].astype(str).value_counts().head(12)
    pie = go.Figure(go.Pie(labels=list(counts.index), values=list(counts.values), hole=0.4))
    pie.update_layout(title={"text": f"records by {cat.replace('_', ' ')}", "font": {"size": 13}})
    out["pie"] = style(pie, 280)
    return out


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

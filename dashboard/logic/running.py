"""Running page: runs over time, speed against climb, a route map and one run's session graph."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

import pandas as pd

from analytics import privacy
from core import localtime
from core import units as u
from dashboard.logic import running_maps, running_session
from dashboard.logic.common import COLORS, empty_dict, figure_dict, round_list

if TYPE_CHECKING:
    import plotly.graph_objects as go

EMPTY = (
    "No runs in this range — run `python -m collectors sync --source strava` "
    "or widen the dates."
)
MAX_ROUTE_POINTS = 150  # per route on the overview map; the session graph has the detail


def speeds_kmh(runs: pd.DataFrame) -> pd.Series:
    fallback = runs["distance_m"] / runs["moving_time_s"].where(runs["moving_time_s"] > 0)
    speed = runs["average_speed_mps"].astype(float).fillna(fallback)
    return speed * 3.6


def _zone_of(name: Any, offset_s: Any) -> tzinfo:
    """A run's own zone from its table row (pandas makes a missing offset NaN)."""
    offset = None if offset_s is None or offset_s != offset_s else int(offset_s)
    return localtime.record_zone(name if isinstance(name, str) else "", offset)


def local_starts(runs: pd.DataFrame) -> list[tuple[datetime, tzinfo]]:
    """Each run's start (UTC) with the zone it happened in."""
    names = runs["timezone"] if "timezone" in runs else [""] * len(runs)
    offsets = runs["utc_offset_s"] if "utc_offset_s" in runs else [None] * len(runs)
    return [(t.to_pydatetime(), _zone_of(n, o))
            for t, n, o in zip(runs["start_time"], names, offsets, strict=True)]


def when(run: dict[str, Any]) -> str:
    """"29 Nov 2026, 07:05 PST": a run's start on the clock where it happened, with its zone."""
    return running_session.started(run)


def over_time(runs: pd.DataFrame, units: str = "metric") -> dict[str, Any]:
    """Distance, average speed and climb of each run, at its local start where it happened."""
    if runs.empty:
        return empty_dict(EMPTY)
    starts = local_starts(runs)
    x = [localtime.local(t, z).strftime("%Y-%m-%dT%H:%M") for t, z in starts]
    text = [f"{localtime.fmt_datetime(t, z)} · {name or 'Run'}"
            for (t, z), name in zip(starts, runs["name"], strict=True)]
    panels = (
        (runs["distance_m"].to_numpy(float) * u.factor("distance", units), "distance",
         u.label("distance", units)),
        (speeds_kmh(runs).to_numpy(float) / 3.6 * u.factor("speed", units), "average speed",
         u.label("speed", units)),
        (runs["elevation_gain_m"].to_numpy(float) * u.factor("elevation", units),
         "elevation gain", u.label("elevation", units)),
    )
    # Each panel is named above it, its axis carries only the unit: three full axis titles
    # would not fit beside panels a third of the figure high. The layout is make_subplots'
    # (rows=3, shared_xaxes, vertical_spacing=0.08), written out.
    gap = 0.08
    height = (1 - 2 * gap) / 3
    traces: list[dict[str, Any]] = []
    layout: dict[str, Any] = {"annotations": []}
    for row, (values, name, unit) in enumerate(panels, start=1):
        axis = "" if row == 1 else str(row)
        top = 1 - (row - 1) * (height + gap)
        traces.append({"type": "scatter", "x": x, "y": round_list(values), "mode": "markers",
                       "name": name, "marker": {"size": 5}, "showlegend": False, "text": text,
                       "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                       "hovertemplate": f"%{{text}}<br>%{{y}} {unit}<extra>{name}</extra>"})
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "domain": [top - height, top],
                                  "title": {"text": unit}}
        layout[f"xaxis{axis}"] = {"anchor": f"y{axis}", "domain": [0.0, 1.0],
                                  **({"title": {"text": "date (where each run was)"}}
                                     if row == 3 else {"matches": "x3",
                                                       "showticklabels": False})}
        layout["annotations"].append({
            "text": f"{name} ({unit})", "showarrow": False, "xref": "paper", "yref": "paper",
            "x": 0.5, "y": top, "xanchor": "center", "yanchor": "bottom", "font": {"size": 16}})
    return figure_dict(traces, 520, **layout)


def speed_vs_elevation(runs: pd.DataFrame, units: str = "metric") -> dict[str, Any]:
    if runs.empty:
        return empty_dict(EMPTY)
    speed = u.label("speed", units)
    climb = u.label("elevation", units)
    text = [f"{name or 'Run'} · {localtime.fmt_datetime(t, z)}"
            for name, (t, z) in zip(runs["name"], local_starts(runs), strict=True)]
    return figure_dict([{
        "type": "scatter",
        "x": round_list(runs["elevation_gain_m"].to_numpy(float) * u.factor("elevation", units),
                        0),
        "y": round_list(speeds_kmh(runs).to_numpy(float) / 3.6 * u.factor("speed", units)),
        "mode": "markers", "customdata": [str(i) for i in runs["id"]], "text": text,
        "marker": {"size": 7, "opacity": 0.6, "color": COLORS["main"]},
        "hovertemplate": f"%{{text}}<br>%{{x}} {climb} climbed, %{{y}} {speed}<extra></extra>",
    }], xaxis={"title": {"text": f"elevation gain ({climb})"}},
        yaxis={"title": {"text": f"average speed ({speed})"}})


# The route and session figures are built as plain dicts (graph_objects validation was most of
# their server time); these give them as graph_objects for notebooks and tests that read them.
routes = running_maps.routes


def run_map(runs: pd.DataFrame, selected: str | None = None, map_style: str = "white",
            zones: list[privacy.Zone] | None = None) -> go.Figure:
    import plotly.graph_objects as go

    return go.Figure(running_maps.routes_figure(runs, selected, map_style, zones))


def session(stream: Any | None, run: dict[str, Any] | None,
            prs: list[tuple[Any, str]] | None = None, units: str = "metric") -> go.Figure:
    import plotly.graph_objects as go

    return go.Figure(running_session.figure(stream, run, prs, units))


def clicked_run(click: dict[str, Any] | None) -> str | None:
    """The run id a map click names, if it names one."""
    try:
        value = click["points"][0]["customdata"]  # type: ignore[index]
    except (TypeError, KeyError, IndexError):
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else None


def run_options(runs: pd.DataFrame, units: str = "metric") -> list[dict[str, str]]:
    """Newest first: "29 Nov 2026, 07:05 PST · Morning Run · 6.21 mi" (its start where it was)."""
    ordered = runs.sort_values("start_time", ascending=False)
    return [
        {"label": f"{localtime.fmt_datetime(t, z)} · {name or 'Run'} · "
                  f"{u.fmt(d, 'distance', units)}",
         "value": str(i)}
        for i, (t, z), name, d in zip(ordered["id"], local_starts(ordered), ordered["name"],
                                      ordered["distance_m"], strict=True)
    ]

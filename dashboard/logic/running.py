"""Running page: runs over time, speed against climb, a route map and one run's session graph."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics import privacy
from core import units as u
from dashboard.logic import running_maps, running_session
from dashboard.logic.common import COLORS, empty_figure, round_list, style

EMPTY = (
    "No runs in this range — run `python -m collectors sync --source strava` "
    "or widen the dates."
)
MAX_ROUTE_POINTS = 150  # per route on the overview map; the session graph has the detail


def speeds_kmh(runs: pd.DataFrame) -> pd.Series:
    fallback = runs["distance_m"] / runs["moving_time_s"].where(runs["moving_time_s"] > 0)
    speed = runs["average_speed_mps"].astype(float).fillna(fallback)
    return speed * 3.6


def over_time(runs: pd.DataFrame, units: str = "metric") -> go.Figure:
    if runs.empty:
        return empty_figure(EMPTY)
    panels = (
        (runs["distance_m"] * u.factor("distance", units), "distance",
         u.label("distance", units)),
        (speeds_kmh(runs) / 3.6 * u.factor("speed", units), "average speed",
         u.label("speed", units)),
        (runs["elevation_gain_m"] * u.factor("elevation", units), "elevation gain",
         u.label("elevation", units)),
    )
    # Each panel is named above it, its axis carries only the unit: three full axis titles
    # would not fit beside panels a third of the figure high.
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[f"{name} ({unit})" for _, name, unit in panels])
    for row, (values, name, unit) in enumerate(panels, start=1):
        fig.add_trace(go.Scatter(x=runs["start_time"], y=round_list(values), mode="markers",
                                 name=name, marker={"size": 5}, showlegend=False),
                      row=row, col=1)
        fig.update_yaxes(title_text=unit, row=row, col=1)
    fig.update_xaxes(title_text="date", row=3, col=1)
    return style(fig, 520)


def speed_vs_elevation(runs: pd.DataFrame, units: str = "metric") -> go.Figure:
    if runs.empty:
        return empty_figure(EMPTY)
    fig = go.Figure(go.Scatter(
        x=round_list(runs["elevation_gain_m"] * u.factor("elevation", units), 0),
        y=round_list(speeds_kmh(runs) / 3.6 * u.factor("speed", units)),
        mode="markers", customdata=runs["id"], text=runs["name"],
        marker={"size": 7, "opacity": 0.6, "color": COLORS["main"]},
    ))
    fig.update_xaxes(title_text=f"elevation gain ({u.label('elevation', units)})")
    fig.update_yaxes(title_text=f"average speed ({u.label('speed', units)})")
    return style(fig)


# The route and session figures are built as plain dicts (graph_objects validation was most of
# their server time); these give them as graph_objects for notebooks and tests that read them.
routes = running_maps.routes


def run_map(runs: pd.DataFrame, selected: str | None = None, map_style: str = "white",
            zones: list[privacy.Zone] | None = None) -> go.Figure:
    return go.Figure(running_maps.routes_figure(runs, selected, map_style, zones))


def session(stream: Any | None, run: dict[str, Any] | None,
            prs: list[tuple[Any, str]] | None = None, units: str = "metric") -> go.Figure:
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
    ordered = runs.sort_values("start_time", ascending=False)
    return [
        {"label": f"{t:%Y-%m-%d} · {name or 'Run'} · {u.fmt(d, 'distance', units)}",
         "value": str(i)}
        for i, t, name, d in zip(ordered["id"], ordered["start_time"], ordered["name"],
                                 ordered["distance_m"], strict=True)
    ]

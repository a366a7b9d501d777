"""Running page: runs over time, speed against climb, a route map and one run's session graph."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import polyline
from plotly.subplots import make_subplots

from analytics import privacy
from analytics.best_efforts import DISTANCES_M
from core import units as u
from dashboard.logic import running_maps
from dashboard.logic.common import COLORS, downsample_index, empty_figure, round_list, style
from dashboard.logic.training import duration

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


def routes(runs: pd.DataFrame, zones: list[privacy.Zone] | None = None
           ) -> tuple[list[float | None], list[float | None], list[str | None]]:
    """All routes in one trace, separated by gaps: one trace keeps the figure small, and each
    point carries its run id so a click names the run. Each route is cut inside the privacy
    zones before it is thinned, so no thinned line crosses one."""
    lats: list[float | None] = []
    lons: list[float | None] = []
    ids: list[str | None] = []
    for run_id, encoded in zip(runs["id"], runs["summary_polyline"], strict=True):
        if not isinstance(encoded, str) or not encoded:
            continue
        try:
            points = polyline.decode(encoded)
        except (ValueError, IndexError):
            continue
        if not points:
            continue
        pieces = privacy.cut(points, zones or [])
        for piece in pieces:
            share = max(2, round(MAX_ROUTE_POINTS * len(piece) / len(points)))
            for i in downsample_index(len(piece), share):
                lat, lon = piece[int(i)]
                lats.append(round(lat, 5))
                lons.append(round(lon, 5))
                ids.append(str(run_id))
            lats.append(None)
            lons.append(None)
            ids.append(None)
    return lats, lons, ids


def run_map(runs: pd.DataFrame, selected: str | None = None, map_style: str = "white",
            zones: list[privacy.Zone] | None = None) -> go.Figure:
    """Every route on the base map (cut inside the privacy zones); a click names its run."""
    lats, lons, ids = routes(runs, zones) if not runs.empty else ([], [], [])
    if not lats:
        return empty_figure("No runs with a GPS route in this range.", 420)
    fig = go.Figure(go.Scattermap(
        lat=lats, lon=lons, customdata=ids, mode="lines",
        line={"width": 3, "color": "rgba(44,123,229,0.55)"}, name="runs",
        hovertemplate="run %{customdata}<extra></extra>",
    ))
    if selected:
        chosen = runs[runs["id"].astype(str) == str(selected)]
        s_lat, s_lon, s_ids = routes(chosen, zones) if not chosen.empty else ([], [], [])
        if s_lat:
            fig.add_trace(go.Scattermap(
                lat=s_lat, lon=s_lon, customdata=s_ids, mode="lines", name="selected run",
                line={"width": 5, "color": COLORS["accent"]},
                hovertemplate="run %{customdata}<extra></extra>",
            ))
    seen = running_maps.view([v for v in lats if v is not None],
                             [v for v in lons if v is not None])
    fig.update_layout(map={"style": running_maps.base_style(map_style), **seen},
                      clickmode="event", hovermode="closest", showlegend=False)
    style(fig, 420)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return fig


def session(stream: Any | None, run: dict[str, Any] | None,
            prs: list[tuple[Any, str]] | None = None, units: str = "metric") -> go.Figure:
    """Pace and elevation along distance, heart rate when the run has it; the stretches where
    the run set a PR (or its year's best) shaded, and named in the title."""
    if run is None:
        return empty_figure("Click a route on the map (or pick a run) to see its session.")
    if stream is None or not stream.distance_m:
        return empty_figure(f"No per-second data for “{run.get('name') or run.get('id')}”.")
    keep = downsample_index(len(stream.distance_m))
    per_m = u.factor("distance", units)
    dist_unit = u.label("distance", units)
    dist = round_list(np.asarray(stream.distance_m, dtype=float)[keep] * per_m, 3)
    panels: list[tuple[str, str, list[Any], dict[str, Any]]] = []
    if stream.velocity_mps:
        speed = np.asarray(stream.velocity_mps, dtype=float)[keep]
        with np.errstate(divide="ignore"):
            # Minutes per km or mile: one unit of distance over the speed, in minutes.
            pace = np.where(speed > 0.5, 1 / per_m / 60 / np.maximum(speed, 1e-9), np.nan)
        panels.append(("pace", f"min{u.pace_label(units)}", round_list(pace),
                       {"line": {"color": COLORS["main"]}}))
    if stream.altitude_m:
        alt = np.asarray(stream.altitude_m, dtype=float)[keep] * u.factor("elevation", units)
        panels.append(("elevation", u.label("elevation", units), round_list(alt, 1),
                       {"fill": "tozeroy", "line": {"color": COLORS["good"]}}))
    if stream.heartrate_bpm:
        hr = np.asarray(stream.heartrate_bpm, dtype=float)[keep]
        panels.append(("heart rate", "bpm", round_list(hr, 0),
                       {"line": {"color": COLORS["bad"]}}))
    if not panels:
        return empty_figure(f"No pace, elevation or heart rate for “{run.get('name')}”.")
    rows = len(panels)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=[f"{name} ({unit})" for name, unit, _, _ in panels])
    for row, (name, unit, values, look) in enumerate(panels, start=1):
        fig.add_trace(go.Scatter(x=dist, y=values, name=name, mode="lines",
                                 showlegend=False, **look), row=row, col=1)
        # Pace is read as "lower is faster": flip the axis so faster stays up.
        fig.update_yaxes(title_text=unit, row=row, col=1,
                         autorange="reversed" if name == "pace" else True)
    fig.update_xaxes(title_text=f"distance ({dist_unit})", row=rows, col=1)
    marked = []
    for best, kind in prs or []:
        metres = DISTANCES_M[best.name]
        fig.add_vrect(x0=best.start_distance_m * per_m, x1=(best.start_distance_m + metres) * per_m,
                      fillcolor=COLORS["accent"], opacity=0.12, line_width=0)
        marked.append(f"{kind} {best.name} {duration(best.time_s)}")
    title = f"{run.get('name') or 'Run'} — {str(run.get('start_time'))[:16]}"
    if marked:
        title += "<br><sub>" + " · ".join(marked) + "</sub>"
    fig.update_layout(title={"text": title, "font": {"size": 14}})
    style(fig, 480)
    fig.update_layout(margin={"t": 80 if marked else 70})  # the title, then the first panel's
    return fig


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

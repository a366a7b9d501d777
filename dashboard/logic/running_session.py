"""One run's session graph: pace, elevation and heart rate along distance, its PRs shaded."""

from __future__ import annotations

from typing import Any

import numpy as np

from analytics.best_efforts import DISTANCES_M
from core import localtime
from core import units as u
from dashboard.logic.common import COLORS, downsample_index, empty_dict, figure_dict
from dashboard.logic.training import duration

GAP = 0.1  # between panels, a share of the plot's height
HEIGHT = 480


def round_list(values: np.ndarray, digits: int = 2) -> list[float | None]:
    """Rounded in numpy, NaN as None (a gap in the line)."""
    return [None if v != v else v for v in np.round(np.asarray(values, dtype=float),
                                                     digits).tolist()]


def _panels(stream: Any, keep: np.ndarray, units: str) -> list[tuple[str, str, list[Any],
                                                                     dict[str, Any]]]:
    per_m = u.factor("distance", units)
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
    return panels


def figure(stream: Any | None, run: dict[str, Any] | None,
           prs: list[tuple[Any, str]] | None = None, units: str = "metric") -> dict[str, Any]:
    """Pace and elevation along distance, heart rate when the run has it; the stretches where
    the run set a PR (or its year's best) shaded, and named under the title."""
    if run is None:
        return empty_dict("Click a route on the map (or pick a run) to see its session.")
    if stream is None or not stream.distance_m:
        return empty_dict(f"No per-second data for “{run.get('name') or run.get('id')}”.")
    keep = downsample_index(len(stream.distance_m))
    per_m = u.factor("distance", units)
    dist = round_list(np.asarray(stream.distance_m, dtype=float)[keep] * per_m, 3)
    panels = _panels(stream, keep, units)
    if not panels:
        return empty_dict(f"No pace, elevation or heart rate for “{run.get('name')}”.")
    rows = len(panels)
    height = (1 - GAP * (rows - 1)) / rows
    traces: list[dict[str, Any]] = []
    layout: dict[str, Any] = {"annotations": [], "shapes": [], "showlegend": False}
    for row, (name, unit, values, look) in enumerate(panels):
        axis = "" if row == 0 else str(row + 1)
        top = 1 - row * (height + GAP)
        traces.append({"type": "scatter", "x": dist, "y": values, "name": name,
                       "mode": "lines", "xaxis": "x", "yaxis": f"y{axis}", **look})
        layout[f"yaxis{axis}"] = {
            "domain": [max(top - height, 0), top], "anchor": "x",
            "title": {"text": unit},
            # Pace is read as "lower is faster": flip the axis so faster stays up.
            "autorange": "reversed" if name == "pace" else True,
        }
        layout["annotations"].append({
            "text": f"{name} ({unit})", "showarrow": False, "xref": "paper", "yref": "paper",
            "x": 0.5, "y": top, "xanchor": "center", "yanchor": "bottom",
            "font": {"size": 14}})
    layout["xaxis"] = {"anchor": f"y{rows if rows > 1 else ''}",
                       "title": {"text": f"distance ({u.label('distance', units)})"}}
    marked = []
    for best, kind in prs or []:
        metres = DISTANCES_M[best.name]
        layout["shapes"].append({
            "type": "rect", "xref": "x", "yref": "paper", "y0": 0, "y1": 1,
            "x0": round(best.start_distance_m * per_m, 3),
            "x1": round((best.start_distance_m + metres) * per_m, 3),
            "fillcolor": COLORS["accent"], "opacity": 0.12, "line": {"width": 0},
            "layer": "below"})
        marked.append(f"{kind} {best.name} {duration(best.time_s)}")
    title = f"{run.get('name') or 'Run'} — {started(run)}"
    if marked:
        title += "<br><sub>" + " · ".join(marked) + "</sub>"
    # The run's title, then the first panel's name, above the plot.
    return figure_dict(traces, HEIGHT, title={"text": title, "font": {"size": 14}},
                       margin={"t": 80 if marked else 70}, **layout)


def started(run: dict[str, Any]) -> str:
    """"29 Nov 2026, 07:05 PST": the run's start on the clock where it happened, with its zone
    (its record's zone name, else its offset, else UTC)."""
    import pandas as pd

    offset = run.get("utc_offset_s")
    offset = None if offset is None or offset != offset else int(offset)  # NaN from pandas
    name = run.get("timezone")
    zone = localtime.record_zone(name if isinstance(name, str) else "", offset)
    return localtime.fmt_datetime(pd.Timestamp(run["start_time"]).to_pydatetime(), zone)

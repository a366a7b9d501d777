"""The running page's base maps (OpenStreetMap tiles or plain white) and the heatmap of routes."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

import numpy as np
import polyline

from analytics import privacy
from dashboard.config import OSM_ATTRIBUTION, OSM_TILES
from dashboard.logic.common import COLORS, downsample_index, empty_dict, figure_dict

# Under the tiles: what the map shows where a tile has not (or cannot) come, so routes stay
# readable offline.
LAND_COLOR = "#f2efe9"
MAX_ROUTE_POINTS = 150  # per route on the overview map; the session graph has the detail
# All routes together: a decade in the range still sends a figure of bounded size (each route
# gets its share, at least MIN_ROUTE_POINTS).
MAX_MAP_POINTS = 9_000
MIN_ROUTE_POINTS = 20
ROUNDING_M = 10.0


def base_style(map_style: str) -> Any:
    """layout.map.style: a MapLibre style with OpenStreetMap's raster tiles, or plotly's
    built-in white background that asks no server for anything. MapLibre's attribution control
    shows the source's credit (OpenStreetMap's tile policy asks for it), tiles or not."""
    if map_style != "osm":
        return "white-bg"
    return {
        "version": 8,
        "sources": {"osm": {"type": "raster", "tiles": [OSM_TILES], "tileSize": 256,
                            "maxzoom": 19, "attribution": OSM_ATTRIBUTION}},
        "layers": [
            {"id": "land", "type": "background", "paint": {"background-color": LAND_COLOR}},
            {"id": "osm", "type": "raster", "source": "osm"},
        ],
    }


def view(lat: np.ndarray | list[float], lon: np.ndarray | list[float]) -> dict[str, Any]:
    """Centre and zoom that show every point."""
    la = np.asarray(lat, dtype=float)
    lo = np.asarray(lon, dtype=float)
    # MapLibre's world is 512 px wide at zoom 0 and doubles with each step; about 400 px of a
    # 420 px map show the routes, and Mercator stretches latitude by 1 / cos(latitude).
    middle = (float(la.min()) + float(la.max())) / 2
    span = max(float(la.max() - la.min()) / max(np.cos(np.radians(middle)), 0.1),
               float(lo.max() - lo.min()), 1e-3)
    return {"center": {"lat": middle, "lon": (float(lo.min()) + float(lo.max())) / 2},
            "zoom": float(np.clip(np.log2(360 * 400 / 512 / span), 1, 16))}


@lru_cache(maxsize=8192)
def decoded(encoded: str) -> tuple[tuple[float, float], ...]:
    """A summary polyline's points (each decoded once per process: they never change)."""
    try:
        return tuple(polyline.decode(encoded))
    except (ValueError, IndexError):
        return ()


@lru_cache(maxsize=8192)
def thinned(encoded: str, budget: int, zones: tuple[privacy.Zone, ...] = ()
            ) -> tuple[tuple[list[float], list[float]], ...]:
    """A route as the pieces a map shows: cut inside the zones, then thinned to its share of
    `budget` points and rounded (per process, for each route, budget and set of zones)."""
    points = decoded(encoded)
    if not points:
        return ()
    # Rounded to 4 decimals a point moves up to 8 m: cut that much wider, so none lands inside.
    wider = [dataclasses.replace(z, radius_m=z.radius_m + ROUNDING_M) for z in zones]
    pieces = privacy.cut(points, wider) if zones else [list(points)]
    out = []
    for piece in pieces:
        share = max(2, round(budget * len(piece) / len(points)))
        array = np.asarray(piece, dtype=float)[downsample_index(len(piece), share)]
        rounded = np.round(array, 4)  # 11 m at most: finer than a line on the map
        out.append((rounded[:, 0].tolist(), rounded[:, 1].tolist()))
    return tuple(out)


def routes(runs: Any, zones: list[privacy.Zone] | None = None
           ) -> tuple[list[float | None], list[float | None], list[str | None]]:
    """All routes in one trace, separated by gaps: one trace keeps the figure small, and each
    point carries its run id so a click names the run. Each route is cut inside the privacy
    zones before it is thinned (and a thinned step across a zone is cut too)."""
    lats: list[float | None] = []
    lons: list[float | None] = []
    ids: list[str | None] = []
    pairs = [(str(i), e) for i, e in zip(runs["id"], runs["summary_polyline"], strict=True)
             if isinstance(e, str) and e]
    budget = max(MIN_ROUTE_POINTS, min(MAX_ROUTE_POINTS, MAX_MAP_POINTS // max(len(pairs), 1)))
    key = tuple(zones or ())
    for run_id, encoded in pairs:
        for piece_lat, piece_lon in thinned(encoded, budget, key):
            lats += piece_lat
            lons += piece_lon
            ids += [run_id] * len(piece_lat)
            lats.append(None)
            lons.append(None)
            ids.append(None)
    return lats, lons, ids


def routes_figure(runs: Any, selected: str | None = None, map_style: str = "white",
                  zones: list[privacy.Zone] | None = None) -> dict[str, Any]:
    """Every route on the base map (cut inside the privacy zones); a click names its run."""
    lats, lons, ids = routes(runs, zones) if len(runs) else ([], [], [])
    if not lats:
        return empty_dict("No runs with a GPS route in this range.", 420)
    traces = [{"type": "scattermap", "lat": lats, "lon": lons, "customdata": ids,
               "mode": "lines", "line": {"width": 3, "color": "rgba(44,123,229,0.55)"},
               "name": "runs", "hovertemplate": "run %{customdata}<extra></extra>"}]
    if selected:
        chosen = runs[runs["id"].astype(str) == str(selected)]
        s_lat, s_lon, s_ids = routes(chosen, zones) if len(chosen) else ([], [], [])
        if s_lat:
            traces.append({"type": "scattermap", "lat": s_lat, "lon": s_lon,
                           "customdata": s_ids, "mode": "lines", "name": "selected run",
                           "line": {"width": 5, "color": COLORS["accent"]},
                           "hovertemplate": "run %{customdata}<extra></extra>"})
    seen = view([v for v in lats if v is not None], [v for v in lons if v is not None])
    return figure_dict(traces, 420, map={"style": base_style(map_style), **seen},
                       clickmode="event", hovermode="closest", showlegend=False,
                       margin={"l": 0, "r": 0, "t": 0, "b": 0})


def heatmap_figure(lat: np.ndarray, lon: np.ndarray, runs: np.ndarray,
                   map_style: str) -> dict[str, Any]:
    """Where the runs in the range went: brighter where more of them passed."""
    if len(lat) == 0:
        return empty_dict("No routes in this range to make a heatmap from.", 420)
    weight = np.log1p(runs.astype(float))
    top = np.argsort(-runs)[:1]
    trace = {"type": "densitymap", "lat": np.round(lat, 4).tolist(),
             "lon": np.round(lon, 4).tolist(), "z": np.round(weight, 2).tolist(),
             "radius": 6, "colorscale": "Hot", "reversescale": True, "showscale": False,
             "hoverinfo": "skip", "name": "routes"}
    most = {"type": "scattermap", "lat": np.round(lat[top], 4).tolist(),
            "lon": np.round(lon[top], 4).tolist(), "mode": "markers",
            "marker": {"size": 10, "color": "#6f42c1"}, "name": "most run",
            "hovertemplate": f"most run here: {int(runs[top][0])} runs<extra></extra>"}
    return figure_dict([trace, most], 420, map={"style": base_style(map_style),
                                                **view(lat, lon)},
                       margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False,
                       uirevision="heatmap")

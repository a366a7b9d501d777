"""The running page's base maps (OpenStreetMap tiles or plain white) and the heatmap of routes."""

from __future__ import annotations

from typing import Any

import numpy as np

from dashboard.config import OSM_ATTRIBUTION, OSM_TILES
from dashboard.logic.common import empty_dict, figure_dict

# Under the tiles: what the map shows where a tile has not (or cannot) come, so routes stay
# readable offline.
LAND_COLOR = "#f2efe9"


def base_style(map_style: str) -> Any:
    """layout.map.style: a MapLibre style with OpenStreetMap's raster tiles, or plotly's
    built-in white background that asks no server for anything."""
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


def attribution(map_style: str) -> list[dict[str, Any]]:
    """The credit OpenStreetMap's tile policy asks for, on the figure itself (it shows whether
    or not MapLibre's own control does)."""
    if map_style != "osm":
        return []
    return [{"text": f'<a href="https://www.openstreetmap.org/copyright">{OSM_ATTRIBUTION}</a>',
             "showarrow": False, "xref": "paper", "yref": "paper", "x": 1, "y": 0,
             "xanchor": "right", "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.8)",
             "font": {"size": 10, "color": "#333"}}]


def view(lat: np.ndarray | list[float], lon: np.ndarray | list[float]) -> dict[str, Any]:
    """Centre and zoom that show every point."""
    la = np.asarray(lat, dtype=float)
    lo = np.asarray(lon, dtype=float)
    span = max(float(la.max() - la.min()), float(lo.max() - lo.min()) / 1.5, 1e-3)
    return {"center": {"lat": float(np.median(la)), "lon": float(np.median(lo))},
            "zoom": float(np.clip(np.log2(360 / span) - 1.2, 1, 16))}


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
                       annotations=attribution(map_style), uirevision="heatmap")

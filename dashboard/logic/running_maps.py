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

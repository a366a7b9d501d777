"""Heatmap cells: a route's cells once each, counts over routes, zones cut, size bounded."""

from __future__ import annotations

import gzip
import json

import numpy as np

from analytics import heatmap, privacy


def test_a_sparse_track_leaves_no_holes() -> None:
    # 1 km east along a parallel in two points: densified to a cell every ~35 m.
    cells = heatmap.cells([[45.0, 7.0], [45.0, 7.0128]])
    assert len(cells) >= 0.0128 / heatmap.CELL_DEG
    assert len(cells) == len(set(cells))


def test_encoding_round_trips() -> None:
    cells = heatmap.cells([[45.0, 7.0], [45.01, 7.01], [-33.9, 151.2]])
    assert heatmap.decode(heatmap.encode(cells)).tolist() == sorted(cells)
    lat, lon = heatmap.centres(np.array(sorted(cells)))
    assert abs(lat.min() - -33.9) < heatmap.CELL_DEG
    assert abs(lon.max() - 151.2) < heatmap.CELL_DEG


def test_counts_are_runs_per_cell_and_zones_are_cut() -> None:
    a = np.array(heatmap.cells([[45.0, 7.0], [45.0, 7.01]]))
    b = np.array(heatmap.cells([[45.0, 7.005], [45.0, 7.02]]))
    lat, lon, runs = heatmap.density([a, b])
    assert runs.max() == 2 and runs.min() == 1
    zone = privacy.zone("home", 45.0, 7.0, 300)
    lat2, lon2, _ = heatmap.density([a, b], [zone])
    assert len(lat2) < len(lat)
    assert not privacy.inside(lat2, lon2, [zone]).any()


def test_ten_years_stay_under_the_size_budget() -> None:
    rng = np.random.default_rng(7)
    routes = []
    for _ in range(3650):
        start = rng.normal([45.0, 7.0], 0.05)
        steps = rng.normal(0, 0.0004, size=(300, 2)).cumsum(axis=0)
        routes.append(np.array(heatmap.cells((start + steps).tolist())))
    lat, lon, runs = heatmap.density(routes)
    assert len(lat) == heatmap.MAX_CELLS
    payload = json.dumps({"lat": np.round(lat, 4).tolist(), "lon": np.round(lon, 4).tolist(),
                          "z": runs.tolist()}).encode()
    assert len(gzip.compress(payload)) <= 150 * 1024

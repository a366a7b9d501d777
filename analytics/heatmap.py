"""Where runs go: each route as the grid cells it passes, and the cells of many routes counted."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from analytics import privacy

# About 55 m north-south (less east-west away from the equator): a street's width apart, so
# one road run on twice is one bright line, not two.
CELL_DEG = 0.0005
# A step longer than this is a jump (a lost signal, a spike), not a road: it paints nothing.
MAX_STEP_DEG = 0.02
# What the browser is sent at most: the most-run cells. 6,000 points is ~45 KiB gzipped.
MAX_CELLS = 6000
# Cell ids pack (lat index, lon index) in one integer: lon index + LON_SPAN·lat index.
LON_SPAN = 1_000_000
LAT_OFFSET = 200_000  # keeps southern indices positive
LON_OFFSET = 400_000


def cells(points: Sequence[Sequence[float]]) -> list[int]:
    """The cells a track passes, each once, steps densified so a sparse track leaves no holes."""
    if not points:
        return []
    array = np.asarray(points, dtype=float).reshape(-1, 2)
    array = array[np.all(np.isfinite(array), axis=1)]
    if len(array) == 0:
        return []
    steps = np.diff(array, axis=0)
    lengths = np.max(np.abs(steps), axis=1)
    # Each step becomes n points a half cell apart (n = 1: its end only); a jump paints its end.
    n = np.where(lengths <= MAX_STEP_DEG, np.ceil(lengths / (CELL_DEG / 2)), 1).astype(np.int64)
    n = np.maximum(n, 1)
    step_of = np.repeat(np.arange(len(steps)), n)
    # k / n for k = 1..n within each step.
    k = np.arange(len(step_of)) - np.repeat(np.cumsum(n) - n, n) + 1
    fractions = (k / n[step_of])[:, None]
    dense = np.concatenate([array[:1], array[step_of] + fractions * steps[step_of]])
    lat_i = np.round(dense[:, 0] / CELL_DEG).astype(np.int64) + LAT_OFFSET
    lon_i = np.round(dense[:, 1] / CELL_DEG).astype(np.int64) + LON_OFFSET
    return np.unique(lat_i * LON_SPAN + lon_i).tolist()


def encode(cell_ids: Sequence[int]) -> list[int]:
    """Sorted ids as their differences: small numbers, a short stored document."""
    ordered = sorted(int(c) for c in cell_ids)
    return [ordered[0], *np.diff(ordered).tolist()] if ordered else []


def decode(encoded: Sequence[int]) -> np.ndarray:
    return np.cumsum(np.asarray(encoded, dtype=np.int64)) if len(encoded) else \
        np.zeros(0, dtype=np.int64)


def centres(cell_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = (cell_ids // LON_SPAN - LAT_OFFSET) * CELL_DEG
    lon = (cell_ids % LON_SPAN - LON_OFFSET) * CELL_DEG
    return lat, lon


def density(routes: Iterable[np.ndarray], zones: Sequence[privacy.Zone] = (),
            max_cells: int = MAX_CELLS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, runs) of the most-run cells over many routes (each a cell-id array), none in
    a privacy zone: the browser gets at most max_cells points however many years are asked."""
    arrays = [r for r in routes if len(r)]
    if not arrays:
        empty = np.zeros(0)
        return empty, empty, empty.astype(np.int64)
    ids, counts = np.unique(np.concatenate(arrays), return_counts=True)
    lat, lon = centres(ids)
    if zones:
        # A cell shows if none of it is in a zone: its centre clear by half its diagonal.
        half_diagonal_m = CELL_DEG * math.radians(1) * privacy.EARTH_RADIUS_M / math.sqrt(2)
        keep = ~privacy.inside(lat, lon, zones, margin_m=half_diagonal_m)
        lat, lon, counts = lat[keep], lon[keep], counts[keep]
    if len(counts) > max_cells:
        top = np.argpartition(-counts, max_cells - 1)[:max_cells]
        lat, lon, counts = lat[top], lon[top], counts[top]
    return lat, lon, counts

"""Distances on the globe between consecutive track points."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_000.0


def haversine_m(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Metres between consecutive points (length n-1)."""
    p1, p2 = np.radians(lat[:-1]), np.radians(lat[1:])
    dp = p2 - p1
    dl = np.radians(lon[1:] - lon[:-1])
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))

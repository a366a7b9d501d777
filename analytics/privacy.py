"""Privacy zones: circles (home, work) inside which no route is ever shown to anyone."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
MIN_RADIUS_M = 50.0
MAX_RADIUS_M = 5000.0
MAX_ZONES = 20
MAX_NAME_CHARS = 40


class ZoneError(ValueError):
    """A zone that cannot be kept: the message says which field and why."""


@dataclass(frozen=True)
class Zone:
    name: str
    lat: float
    lon: float
    radius_m: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "lat": self.lat, "lon": self.lon, "radius_m": self.radius_m}


def _number(raw: Any, field: str, low: float, high: float) -> float:
    if isinstance(raw, bool):
        raise ZoneError(f"{field}: {raw!r} is not a number")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ZoneError(f"{field}: {raw!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ZoneError(f"{field}: {value:g} is outside {low:g} to {high:g}")
    return value


def zone(name: Any, lat: Any, lon: Any, radius_m: Any) -> Zone:
    """A checked zone, or a ZoneError naming the field that is wrong."""
    label = str(name or "").strip()
    if not label or len(label) > MAX_NAME_CHARS:
        raise ZoneError(f"name: give the zone a name of 1 to {MAX_NAME_CHARS} characters")
    return Zone(label, _number(lat, "latitude", -90, 90), _number(lon, "longitude", -180, 180),
                _number(radius_m, "radius (m)", MIN_RADIUS_M, MAX_RADIUS_M))


def from_doc(data: dict[str, Any] | None) -> list[Zone]:
    """The zones a stored document holds; an entry that does not read is skipped, never
    a reason to show routes uncut (the others still apply)."""
    found = []
    for raw in (data or {}).get("zones", []) if isinstance(data, dict) else []:
        if not isinstance(raw, dict):
            continue
        try:
            found.append(zone(raw.get("name"), raw.get("lat"), raw.get("lon"),
                              raw.get("radius_m")))
        except ZoneError:
            continue
    return found


def to_doc(zones: Iterable[Zone]) -> dict[str, Any]:
    return {"zones": [z.to_dict() for z in zones]}


def inside(lat: np.ndarray, lon: np.ndarray, zones: Sequence[Zone],
           margin_m: float = 0.0) -> np.ndarray:
    """Which points lie within any zone (plus `margin_m`: a heatmap cell's half-diagonal)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    hidden = np.zeros(lat.shape, dtype=bool)
    for z in zones:
        # Haversine: exact enough at any latitude for circles of a few kilometres.
        p1, p2 = np.radians(lat), math.radians(z.lat)
        a = (np.sin((p2 - p1) / 2) ** 2
             + np.cos(p1) * math.cos(p2) * np.sin(np.radians(z.lon - lon) / 2) ** 2)
        distance = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
        hidden |= distance <= z.radius_m + margin_m
    return hidden


def crossing(array: np.ndarray, zones: Sequence[Zone]) -> np.ndarray:
    """Which steps (point i to i+1) pass through a zone although both ends lie outside it: a
    sparse track (a summary polyline's straight stretches) would otherwise draw a line across."""
    if len(array) < 2:
        return np.zeros(0, dtype=bool)
    through = np.zeros(len(array) - 1, dtype=bool)
    for z in zones:
        # Metres on a plane tangent at the zone's centre: exact enough within a few km of it.
        ky = math.radians(1) * EARTH_RADIUS_M
        kx = ky * math.cos(math.radians(z.lat))
        y = (array[:, 0] - z.lat) * ky
        x = (array[:, 1] - z.lon) * kx
        x0, y0, x1, y1 = x[:-1], y[:-1], x[1:], y[1:]
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        along = np.clip(np.where(length2 > 0, -(x0 * dx + y0 * dy) / np.where(
            length2 > 0, length2, 1), 0.0), 0.0, 1.0)
        nearest = np.hypot(x0 + along * dx, y0 + along * dy)
        through |= nearest <= z.radius_m
    return through


Piece = list[tuple[float, float]]


def cut(points: Sequence[Sequence[float]], zones: Sequence[Zone]) -> list[Piece]:
    """A route as the pieces left outside every zone: points inside are dropped and a piece
    ends where the route enters a zone, so no line is drawn across one."""
    if not points:
        return []
    if not zones:
        return [[(float(a), float(b)) for a, b in points]]
    array = np.asarray(points, dtype=float).reshape(-1, 2)
    hidden = inside(array[:, 0], array[:, 1], zones).tolist()
    through = crossing(array, zones).tolist()
    pieces: list[Piece] = []
    current: Piece = []
    for i, (a, b) in enumerate(array.tolist()):
        if hidden[i]:
            if current:
                pieces.append(current)
            current = []
            continue
        current.append((a, b))
        if i < len(through) and through[i]:
            pieces.append(current)
            current = []
    if current:
        pieces.append(current)
    return pieces

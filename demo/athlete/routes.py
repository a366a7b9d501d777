"""The athlete's routes: closed loops around Lyon, one fixed geometry whatever the seed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

CITY = "Lyon"
_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class Route:
    name: str
    lat: np.ndarray  # dense points, first point repeated at the end
    lon: np.ndarray
    alt_m: np.ndarray
    along_m: np.ndarray  # cumulative distance along the loop
    climb_m: np.ndarray  # cumulative positive altitude change along the loop

    @property
    def length_m(self) -> float:
        return float(self.along_m[-1])

    def at(self, distance_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = np.mod(distance_m, self.length_m)
        return (
            np.interp(s, self.along_m, self.lat),
            np.interp(s, self.along_m, self.lon),
            np.interp(s, self.along_m, self.alt_m),
        )

    def grade(self, distance_m: np.ndarray) -> np.ndarray:
        step = 10.0
        _, _, a0 = self.at(distance_m)
        _, _, a1 = self.at(distance_m + step)
        return (a1 - a0) / step

    def gain_m(self, distance_m: float) -> float:
        laps, rest = divmod(distance_m, self.length_m)
        return float(laps * self.climb_m[-1] + np.interp(rest, self.along_m, self.climb_m))


def loop(
    name: str,
    center: tuple[float, float],
    length_m: float,
    aspect: float,
    wobble: tuple[float, float, float],
    base_alt_m: float,
    hill_m: float,
) -> Route:
    theta = np.linspace(0.0, 2 * math.pi, 2001)
    a1, a2, a3 = wobble
    r = 1 + a1 * np.cos(theta + 0.7) + a2 * np.cos(2 * theta + 1.9) + a3 * np.cos(3 * theta + 0.4)
    x = r * np.cos(theta) * aspect
    y = r * np.sin(theta)
    unit_len = float(np.sum(np.hypot(np.diff(x), np.diff(y))))
    x *= length_m / unit_len
    y *= length_m / unit_len
    lat = center[0] + y / _M_PER_DEG_LAT
    lon = center[1] + x / (_M_PER_DEG_LAT * math.cos(math.radians(center[0])))
    along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    alt = (
        base_alt_m
        + hill_m * (0.5 + 0.5 * np.sin(theta - 1.1))
        + 0.08 * hill_m * np.sin(5 * theta)
        + 0.6 * np.sin(23 * theta)
    )
    climb = np.concatenate([[0.0], np.cumsum(np.clip(np.diff(alt), 0, None))])
    return Route(name, lat, lon, alt, along, climb)


@lru_cache(maxsize=1)
def routes() -> tuple[Route, ...]:
    return (
        loop("Parc de la Tête d'Or", (45.7790, 4.8530), 4_050, 1.3, (0.08, 0.05, 0.03), 166, 4),
        loop("Lac du parc", (45.7780, 4.8545), 2_600, 1.6, (0.05, 0.08, 0.02), 166, 2),
        loop("Quais du Rhône", (45.7640, 4.8430), 8_200, 0.6, (0.10, 0.04, 0.05), 163, 9),
        loop("Croix-Rousse", (45.7750, 4.8300), 6_100, 1.1, (0.07, 0.06, 0.04), 170, 85),
        loop("Monts d'Or", (45.8330, 4.8050), 14_500, 1.2, (0.12, 0.07, 0.05), 260, 330),
        loop("Beaujolais loop", (45.8600, 4.7600), 42_000, 1.4, (0.15, 0.08, 0.06), 210, 380),
    )


ROAD_RUN_ROUTES = (0, 0, 0, 1, 2, 2, 3)
TRAIL_ROUTE = 4
RIDE_ROUTE = 5

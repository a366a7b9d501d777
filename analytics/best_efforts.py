"""Fastest times over set distances inside one run, from its time and distance streams."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The distances runners compare (Strava's and running_page's list), in metres.
DISTANCES_M: dict[str, float] = {
    "400 m": 400.0,
    "1 km": 1000.0,
    "1 mile": 1609.344,
    "5 km": 5000.0,
    "10 km": 10000.0,
    "half marathon": 21097.5,
    "marathon": 42195.0,
}
# No one runs a whole sample interval faster than this (the 100 m world record averages
# 10.4 m/s): a step faster is a GPS jump or a recording resumed elsewhere, and its distance is
# not counted (its time is), so a spike can only make an effort slower, never a PR.
MAX_RUN_SPEED_MPS = 10.0
# A step longer than this is a pause (auto-pause, a stop button, a lost signal): the distance
# covered across it was not run in the time it shows (a watch paused and restarted after a drive
# home still shows the drive), so it is not counted; its time still is.
PAUSE_S = 30.0
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Effort:
    """The fastest stretch of `distance_m` in a run: its time and where it began."""

    distance_m: float
    time_s: float
    start_s: float  # seconds after the run's first sample
    start_distance_m: float  # clean distance (spikes removed) at the effort's start

    @property
    def pace_s_per_km(self) -> float:
        return self.time_s / (self.distance_m / 1000)


def track_distance_m(latlng: Sequence[Sequence[float]]) -> np.ndarray:
    """Cumulative great-circle distance along a track (for streams with no distance series)."""
    points = np.radians(np.asarray(latlng, dtype=float).reshape(-1, 2))
    if len(points) < 2:
        return np.zeros(len(points))
    lat, lon = points[:, 0], points[:, 1]
    a = (np.sin(np.diff(lat) / 2) ** 2
         + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2)
    steps = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return np.concatenate([[0.0], np.cumsum(steps)])


def clean_distance(time_s: Sequence[float], distance_m: Sequence[float],
                   max_speed_mps: float = MAX_RUN_SPEED_MPS) -> tuple[np.ndarray, np.ndarray]:
    """(time, cumulative distance) with samples out of time order dropped, and backward,
    faster-than-possible and across-a-pause steps counted as no distance."""
    t = np.asarray(time_s, dtype=float)
    d = np.asarray(distance_m, dtype=float)
    n = min(len(t), len(d))
    t, d = t[:n], d[:n]
    finite = np.isfinite(t) & np.isfinite(d)
    t, d = t[finite], d[finite]
    if len(t) == 0:
        return t, d
    # Keep only samples strictly later than every sample before them.
    later = np.concatenate([[True], t[1:] > np.maximum.accumulate(t)[:-1]])
    t, d = t[later], d[later]
    dt = np.diff(t)
    dd = np.diff(d)
    plausible = (dd > 0) & (dd <= max_speed_mps * dt) & (dt <= PAUSE_S)
    steps = np.where(plausible, dd, 0.0)
    return t, np.concatenate([[0.0], np.cumsum(steps)])


def best_effort(t: np.ndarray, cum: np.ndarray, distance_m: float) -> Effort | None:
    """The fastest `distance_m` of a cleaned stream: every start sample is tried, the end is
    where the distance is reached (interpolated between samples); None if the run is shorter."""
    if len(cum) < 2 or cum[-1] < distance_m:
        return None
    targets = cum + distance_m
    starts = np.nonzero(targets <= cum[-1])[0]
    ends = np.searchsorted(cum, targets[starts], side="left")
    before = ends - 1
    span = cum[ends] - cum[before]
    # The effort ends inside the step that reaches the target distance, at constant speed.
    fraction = np.where(span > 0, (targets[starts] - cum[before]) / np.where(span > 0, span, 1),
                        1.0)
    end_time = t[before] + fraction * (t[ends] - t[before])
    times = end_time - t[starts]
    best = int(np.argmin(times))
    i = int(starts[best])
    time_s = float(times[best])
    if not math.isfinite(time_s) or time_s <= 0:
        return None
    return Effort(distance_m, time_s, float(t[i] - t[0]), float(cum[i]))


def best_efforts(time_s: Sequence[float], distance_m: Sequence[float] | None = None,
                 latlng: Sequence[Sequence[float]] | None = None,
                 distances: dict[str, float] | None = None) -> dict[str, Effort]:
    """Each named distance's fastest effort in one run (the ones the run is long enough for).
    The distance series is used when the stream has one, else the track's."""
    if distance_m is None or len(distance_m) == 0:
        if not latlng:
            return {}
        distance_m = track_distance_m(latlng).tolist()
    t, cum = clean_distance(time_s, distance_m)
    found: dict[str, Effort] = {}
    for name, metres in (distances or DISTANCES_M).items():
        effort = best_effort(t, cum, metres)
        if effort is not None:
            found[name] = effort
    return found

"""Samples no device can truly record (and totals no one can achieve) are not facts."""

from __future__ import annotations

import numpy as np

from collectors.sources.files.geo import haversine_m
from collectors.sources.files.sports import max_speed_mps
from collectors.sources.files.track import FileRejected

LOWEST_M = -500.0  # the Dead Sea shore is at −430 m
HIGHEST_M = 9_000.0  # Everest is 8,849 m
# Faster up or down than this is a sensor's jump, not a climb: a climber makes ~0.5 m/s, a
# skier or a mountain biker on the steepest descent ~15 m/s.
MAX_VERTICAL_MPS = 15.0
# When more of a track's fixes than this are impossible, the sport (or the file) is wrong.
MOST = 0.5
# Sustained over a whole activity, climbing faster than this is no one's: the fastest
# vertical kilometre takes half an hour (0.55 m/s).
MAX_CLIMB_RATE_MPS = 1.5


def drop_bad_positions(lat: np.ndarray, lon: np.ndarray, t: np.ndarray, sport: str) -> int:
    """Positions off the globe, and fixes the track could only reach faster than the sport
    allows (a spike out and back), become gaps (NaN), in place. Returns how many went."""
    off = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    lat[off], lon[off] = np.nan, np.nan
    fixed = np.flatnonzero(~np.isnan(lat) & ~np.isnan(lon))
    if len(fixed) < 3:
        return int(off.sum())
    limit = max_speed_mps(sport)
    dt = np.diff(t[fixed])
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, haversine_m(lat[fixed], lon[fixed]) / dt, 0.0)
    fast = speed > limit
    # A fix is wrong when both the way in and the way out are impossible (a jump and back);
    # the first and last fixes have one way only.
    spike = np.r_[fast[0] & fast[1], fast[:-1] & fast[1:], fast[-1] & fast[-2]]
    if spike.sum() > MOST * len(fixed):
        raise FileRejected(
            f"most of its positions are {float(np.median(speed)):.0f} m/s apart, faster than "
            f"a {sport} can go ({limit:.0f} m/s): check the sport and the file"
        )
    lat[fixed[spike]], lon[fixed[spike]] = np.nan, np.nan
    return int(off.sum() + spike.sum())


def drop_bad_altitudes(altitude_m: np.ndarray) -> int:
    """Altitudes outside −500…9,000 m become gaps (NaN), in place."""
    off = (altitude_m < LOWEST_M) | (altitude_m > HIGHEST_M)
    altitude_m[off] = np.nan
    return int(off.sum())


def climbable(altitude_m: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The altitude profile with every step faster than a human can climb or descend taken
    out (a spike and its way back, a barometer's jump, a synthetic ramp): what the climbing
    total is counted on."""
    step = np.diff(altitude_m)
    dt = np.diff(t)
    step[np.abs(step) > MAX_VERTICAL_MPS * np.maximum(dt, 1.0)] = 0.0
    return np.concatenate([altitude_m[:1], altitude_m[0] + np.cumsum(step)])


def check_totals(sport: str, distance_m: float, moving_s: float, elapsed_s: float,
                 gain_m: float) -> None:
    """Refuses an activity whose totals no one can achieve, whatever the samples said."""
    limit = max_speed_mps(sport)
    if moving_s > 0 and distance_m / moving_s > limit:
        raise FileRejected(
            f"its totals are impossible for a {sport}: {distance_m / 1000:.1f} km in "
            f"{moving_s / 60:.0f} min is {distance_m / moving_s:.1f} m/s, over the "
            f"{limit:.0f} m/s anyone can go; check the sport and the file"
        )
    if elapsed_s > 0 and gain_m > MAX_CLIMB_RATE_MPS * elapsed_s:
        raise FileRejected(
            f"its totals are impossible: {gain_m:,.0f} m of climbing in "
            f"{elapsed_s / 60:.0f} min; the altitude in the file is broken"
        )

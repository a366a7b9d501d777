"""A track turned into what is stored: the Activity (Strava's summary fields) and its stream."""

from __future__ import annotations

from array import array
from datetime import datetime

import numpy as np
import polyline

from collectors.sources.files import plausible
from collectors.sources.files.geo import haversine_m
from collectors.sources.files.sports import max_speed_mps, sport_type
from collectors.sources.files.track import ACTIVITY_SOURCE, FileRejected, Track, check_times
from storage.records import Activity, ActivityStream

POLYLINE_POINTS = 300
# Streams are one DynamoDB item (400 KB, compressed): a 10-hour ride at 1 Hz must still fit.
MAX_STREAM_POINTS = 10_000
# Between samples, slower than this counts as standing still (Strava's moving time does the same).
MOVING_SPEED_MPS = 0.5
# Altitude must rise this much above the last low before it counts as climbing: GPS altitude
# jitters by a metre or two, and summing every wiggle would double a flat run's gain.
CLIMB_THRESHOLD_M = 2.0


def _filled(values: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """A series with its gaps filled by linear interpolation in time; None if it has no value."""
    ok = ~np.isnan(values)
    if not ok.any():
        return None
    if ok.all():
        return values
    return np.interp(t, t[ok], values[ok])


def elevation_gain(altitude_m: np.ndarray, threshold_m: float = CLIMB_THRESHOLD_M) -> float:
    gain = 0.0
    low = float(altitude_m[0])
    for value in altitude_m[1:]:
        if value > low + threshold_m:
            gain += float(value) - low
            low = float(value)
        elif value < low:
            low = float(value)
    return gain


def _moving_time_s(t: np.ndarray, dist: np.ndarray, inside: np.ndarray) -> float:
    """Seconds spent moving, between samples of one segment (`inside`, length n-1)."""
    dt = np.diff(t)
    dd = np.diff(dist)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, dd / dt, 0.0)
    return float(dt[(speed >= MOVING_SPEED_MPS) & inside].sum())


def _smoothed_speed(
    t: np.ndarray, dist: np.ndarray, segment: np.ndarray, window: int = 5
) -> np.ndarray:
    """Speed over a few samples either side, within the sample's segment: one noisy fix must
    not make a sprint, nor the straight line across a recording gap."""
    n = len(t)
    index = np.arange(n)
    starts = np.flatnonzero(np.r_[True, segment[1:] != segment[:-1]])
    first = starts[np.searchsorted(starts, index, side="right") - 1]
    ends = np.r_[starts[1:] - 1, n - 1]
    last = ends[np.searchsorted(starts, index, side="right") - 1]
    lo = np.maximum(index - window // 2, first)
    hi = np.minimum(index + window // 2, last)
    dt = t[hi] - t[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, (dist[hi] - dist[lo]) / dt, 0.0)
    return np.maximum(speed, 0.0)


def _evenly(n: int, k: int) -> np.ndarray:
    """k indices spread over 0..n-1, first and last included."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, k).round().astype(int))


def _rounded(values: np.ndarray | None, digits: int) -> list[float]:
    return [] if values is None else [round(float(v), digits) for v in values]


def to_records(
    track: Track, activity_id: str, now: datetime
) -> tuple[Activity, ActivityStream]:
    """The Activity (Strava's summary fields, SI units) and stream a track stands for."""
    if not len(track):
        raise FileRejected(
            f"no track points with a time in this {track.fmt.upper()} file: it is a route or an "
            "empty recording, not an activity"
        )
    kind = track.fmt.upper()
    if track.untimed > len(track):
        raise FileRejected(
            f"only {len(track)} of its {len(track) + track.untimed} track points have a time: "
            f"this {kind} file is a route with a few timed points, not a recording"
        )
    if len(track) == 1:
        raise FileRejected(f"a single timed point in this {kind} file: one moment is not an "
                           "activity")
    if track.last_time() == track.first_time():
        raise FileRejected(f"every point of this {kind} file has the same time: an activity "
                           "of no duration is not one")
    check_times([track.first_time(), track.last_time()]
                + ([track.start_time] if track.start_time else []), now)
    raw_t = np.frombuffer(track.t_s, dtype=float)
    order = np.argsort(raw_t, kind="stable")
    start = track.first_time()
    t = raw_t[order] - raw_t[order[0]]

    def column(values: array[float]) -> np.ndarray:
        return np.frombuffer(values, dtype=float)[order]  # a copy: cleaning must not write back

    sport = sport_type(track.sport, track.sub_sport)
    segment = column(track.segment)
    inside = segment[1:] == segment[:-1]
    raw_lat, raw_lon, raw_alt = column(track.lat), column(track.lon), column(track.altitude_m)
    plausible.drop_bad_positions(raw_lat, raw_lon, t, sport)
    plausible.drop_bad_altitudes(raw_alt)
    raw_speed = column(track.speed_mps)
    raw_speed[raw_speed > max_speed_mps(sport)] = np.nan
    lat, lon = _filled(raw_lat, t), _filled(raw_lon, t)
    alt = _filled(raw_alt, t)
    if alt is not None:
        alt = plausible.climbable(alt, t)
    hr = _filled(column(track.heartrate_bpm), t)
    dist = _filled(column(track.distance_m), t)
    if dist is None and lat is not None and lon is not None and len(t) > 1:
        # Measured along each segment; nothing is counted across a gap between two.
        steps = np.where(inside, haversine_m(lat, lon), 0.0)
        dist = np.concatenate([[0.0], np.cumsum(steps)])
    if dist is not None:
        # Devices restart odometers on lap resets; a track's distance never goes back.
        dist = np.maximum.accumulate(dist - dist[0])
    speed = _filled(raw_speed, t)
    if speed is None and dist is not None:
        speed = _smoothed_speed(t, dist, segment)

    distance_m = track.total_distance_m
    if distance_m is None:
        distance_m = float(dist[-1]) if dist is not None else 0.0
    elapsed_s = track.elapsed_time_s if track.elapsed_time_s is not None else float(t[-1])
    moving_s = track.moving_time_s
    if moving_s is None:
        moving_s = (_moving_time_s(t, dist, inside) if dist is not None and len(t) > 1
                    else elapsed_s)
    gain_m = track.elevation_gain_m
    if gain_m is None:
        gain_m = elevation_gain(alt) if alt is not None else 0.0
    avg_speed = track.average_speed_mps
    if avg_speed is None and moving_s > 0 and distance_m > 0:
        avg_speed = distance_m / moving_s
    max_speed = track.max_speed_mps
    if max_speed is None and speed is not None and len(speed):
        max_speed = float(speed.max())
    avg_hr = track.average_heartrate_bpm
    if avg_hr is None and hr is not None:
        avg_hr = float(hr.mean())

    summary = None
    if lat is not None and lon is not None:
        keep = _evenly(len(t), POLYLINE_POINTS)
        summary = polyline.encode(list(zip(lat[keep], lon[keep], strict=True)), 5)
    plausible.check_totals(sport, distance_m, moving_s, elapsed_s, gain_m)
    activity = Activity(
        id=activity_id,
        source=ACTIVITY_SOURCE,
        # Whole seconds, as the store keeps them (its keys are ISO times to the second): what
        # an import holds is what it reads back.
        start_time=(track.start_time or start).replace(microsecond=0),
        sport_type=sport,
        name=track.name or f"{sport} {start:%Y-%m-%d}",
        # float(): numpy scalars must not reach the store (DynamoDB refuses them).
        distance_m=round(float(distance_m), 1),
        moving_time_s=float(round(moving_s)),
        elapsed_time_s=float(round(elapsed_s)),
        elevation_gain_m=round(float(gain_m), 1),
        average_speed_mps=None if avg_speed is None else round(float(avg_speed), 3),
        max_speed_mps=None if max_speed is None else round(float(max_speed), 3),
        average_heartrate_bpm=None if avg_hr is None else round(float(avg_hr), 1),
        summary_polyline=summary,
    )
    keep = _evenly(len(t), MAX_STREAM_POINTS)
    latlng = None
    if lat is not None and lon is not None:
        pairs = zip(lat[keep], lon[keep], strict=True)
        latlng = [[round(float(a), 6), round(float(b), 6)] for a, b in pairs]
    stream = ActivityStream(
        activity_id=activity_id,
        time_s=_rounded(t[keep], 1),
        distance_m=_rounded(None if dist is None else dist[keep], 1),
        altitude_m=_rounded(None if alt is None else alt[keep], 1),
        velocity_mps=_rounded(None if speed is None else speed[keep], 2),
        heartrate_bpm=None if hr is None else _rounded(hr[keep], 0),
        latlng=latlng,
    )
    return activity, stream



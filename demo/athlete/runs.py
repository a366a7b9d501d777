"""One activity as Strava summarises it, and the streams that match its summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from demo.athlete.clock import TIMEZONE, iso, paris_offset_s
from demo.athlete.routes import RIDE_ROUTE, ROAD_RUN_ROUTES, TRAIL_ROUTE, routes

STREAM_TYPES = ("time", "distance", "latlng", "altitude", "velocity_smooth", "heartrate")
RUN_SPORTS = ("Run", "TrailRun")


@dataclass
class StreamPlan:
    """What the summary does not say but its streams need: which loop, how the effort went."""

    route: int | None
    has_hr: bool
    seed: int
    workout: str  # easy, tempo, intervals, long, ride, treadmill, lift


NAMES = {
    "easy": "Run",
    "tempo": "Tempo Run",
    "intervals": "Intervals",
    "long": "Long Run",
    "treadmill": "Treadmill Run",
    "ride": "Ride",
    "virtual_ride": "Zwift Ride",
    "lift": "Crossfit",
}


def legacy_type(sport_type: str) -> str:
    """Strava's older `type` field knows fewer kinds than `sport_type` (a trail run is a Run)."""
    return {"TrailRun": "Run", "VirtualRun": "Run"}.get(sport_type, sport_type)


def part_of_day(local: datetime) -> str:
    if local.hour < 11:
        return "Morning"
    if local.hour < 14:
        return "Lunch"
    if local.hour < 18:
        return "Afternoon"
    return "Evening"


@lru_cache(maxsize=4096)
def summary_polyline(route_index: int, distance_dm: int) -> tuple[str, list[float], list[float]]:
    route = routes()[route_index]
    distance_m = distance_dm * 10.0
    count = int(min(400, max(20, distance_m / 30)))
    lat, lon, _ = route.at(np.linspace(0.0, distance_m, count))
    lat, lon = np.round(lat, 5), np.round(lon, 5)
    first, last = [float(lat[0]), float(lon[0])], [float(lat[-1]), float(lon[-1])]
    return encode_polyline(lat, lon), first, last


def encode_polyline(lat: np.ndarray, lon: np.ndarray) -> str:
    """Google's encoded polyline (precision 5), as the `polyline` package writes it, in numpy:
    that package's pure-Python loop took most of the time years of runs need."""
    # Half away from zero, as the format's reference (and the package) rounds.
    scaled = np.stack([lat, lon], axis=1) * 100_000
    units = (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int64)
    deltas = np.diff(units, axis=0, prepend=np.zeros((1, 2), np.int64))
    values = deltas.ravel() << 1  # lat, lon, lat, lon, … as the points run
    values = np.where(values < 0, ~values, values)
    # Five bits a character, low bits first, 0x20 on every character but a value's last.
    shifts = np.arange(7) * 5
    chunks = (values[:, None] >> shifts) & 0x1F
    more = values[:, None] >= (np.int64(1) << (shifts + 5))
    used = np.concatenate([np.ones((len(values), 1), bool), more[:, :-1]], axis=1)
    codes = chunks + 63 + np.where(more, 0x20, 0)
    return codes[used].astype(np.uint8).tobytes().decode("ascii")


def make_activity(
    rng: np.random.Generator,
    activity_id: int,
    start: datetime,
    workout: str,
    distance_m: float,
    fitness_km: float,
    plain: bool = False,
) -> tuple[dict[str, Any], StreamPlan | None]:
    """One activity; `plain` rules out the odd cases (treadmill, manual, trail, no heart rate)."""
    local = start + timedelta(seconds=paris_offset_s(start))
    is_run = workout in ("easy", "tempo", "intervals", "long")
    winter = start.month in (11, 12, 1, 2)
    if is_run and winter and workout != "long" and rng.random() < 0.15 and not plain:
        workout = "treadmill"
    manual = (is_run or workout == "treadmill") and rng.random() < 0.025 and not plain
    trail = workout == "long" and rng.random() < 0.2 and not plain
    sport_type = "Run"
    route: int | None
    if workout in ("ride", "virtual_ride"):
        sport_type = "Ride" if workout == "ride" else "VirtualRide"
        speed = rng.normal(8.3 if workout == "ride" else 8.9, 0.5)
        distance_m = speed * rng.uniform(3_000, 6_600) if workout == "ride" else speed * 3_000
        route = RIDE_ROUTE if workout == "ride" else None
    elif workout == "lift":
        sport_type = "WeightTraining"
        speed, distance_m, route = 0.0, 0.0, None
    else:
        # Easy pace about 5:55/km at 20 km a week, faster with volume, capped.
        easy = 1000 / (355 - min(45.0, 1.4 * (fitness_km - 20)))
        factor = {"easy": 1.0, "tempo": 1.1, "intervals": 1.06, "long": 0.96, "treadmill": 1.02}
        speed = easy * factor[workout] * rng.normal(1.0, 0.025)
        distance_m = max(2_500.0, distance_m * rng.normal(1.0, 0.06))
        if trail:
            sport_type, route, speed = "TrailRun", TRAIL_ROUTE, speed * 0.82
        elif workout == "treadmill":
            route = None
        else:
            route = int(rng.choice(ROAD_RUN_ROUTES))
    distance_m = round(float(distance_m), 1)
    moving_s = int(round(distance_m / speed)) if speed else int(rng.integers(2_700, 3_900))
    stop_s = 0 if workout in ("treadmill", "virtual_ride", "lift") else int(rng.integers(0, 240))
    if manual:
        route, stop_s = None, 0
    has_hr = not manual and (rng.random() > 0.12 or plain)
    avg_hr: float | None = None
    if has_hr:
        target = {
            "easy": 141,
            "tempo": 158,
            "intervals": 155,
            "long": 146,
            "treadmill": 145,
            "ride": 128,
            "virtual_ride": 136,
            "lift": 112,
        }[workout]
        avg_hr = round(target + rng.normal(0, 3) - 0.1 * (fitness_km - 20), 1)
    gain_m = 0.0 if route is None else round(routes()[route].gain_m(distance_m), 1)
    name = f"{part_of_day(local)} {NAMES[workout]}" if workout != "long" else "Long Run"
    if trail:
        name = "Monts d'Or trail"
    activity: dict[str, Any] = {
        "resource_state": 2,
        "athlete": {"id": 41_230_977, "resource_state": 1},
        "name": name,
        "distance": distance_m,
        "moving_time": moving_s,
        "elapsed_time": moving_s + stop_s,
        "total_elevation_gain": gain_m,
        "type": legacy_type(sport_type),
        "sport_type": sport_type,
        "workout_type": {"long": 2, "tempo": 3, "intervals": 3}.get(workout, 0) if is_run else None,
        "id": activity_id,
        "start_date": iso(start),
        "start_date_local": iso(local),
        "timezone": TIMEZONE,
        "utc_offset": float(paris_offset_s(start)),
        "location_country": "France",
        "achievement_count": int(rng.integers(0, 3)) if route is not None else 0,
        "kudos_count": int(rng.integers(0, 12)),
        "comment_count": 0,
        "athlete_count": 1,
        "photo_count": 0,
        "trainer": workout in ("treadmill", "virtual_ride"),
        "commute": False,
        "manual": manual,
        "private": bool(rng.random() < 0.05),
        "visibility": "everyone",
        "flagged": False,
        "average_speed": round(distance_m / moving_s, 3) if moving_s else 0.0,
        "max_speed": round(distance_m / moving_s * rng.uniform(1.25, 1.6), 3) if distance_m else 0,
        "has_heartrate": has_hr,
        "pr_count": 0,
        "total_photo_count": 0,
        "has_kudoed": False,
    }
    if activity["private"]:
        activity["visibility"] = "only_me"
    if has_hr:
        activity["average_heartrate"] = avg_hr
        activity["max_heartrate"] = round((avg_hr or 0) + rng.uniform(12, 24))
    elif not manual and rng.random() < 0.5:
        activity["average_heartrate"] = None  # some payloads carry the key with null
    if route is not None:
        encoded, first, last = summary_polyline(route, int(distance_m // 10))
        activity["map"] = {
            "id": f"a{activity_id}",
            "summary_polyline": encoded,
            "resource_state": 2,
        }
        activity["start_latlng"], activity["end_latlng"] = first, last
    else:
        activity["start_latlng"] = activity["end_latlng"] = []
        if not (manual and rng.random() < 0.5):
            activity["map"] = {
                "id": f"a{activity_id}",
                "summary_polyline": None,
                "resource_state": 2,
            }
    if manual:
        return activity, None
    plan = StreamPlan(route, has_hr, int(rng.integers(0, 2**31)), workout)
    return activity, plan


def streams_for(activity: Mapping[str, Any], plan: StreamPlan) -> dict[str, list[Any]]:
    """Streams whose totals match the summary: distance, moving and elapsed time, mean heart rate,
    elevation along the loop; samples every 1-4 s, a pause shows as a jump in `time`."""
    rng = np.random.default_rng(plan.seed)
    distance_m = float(activity.get("distance") or 0.0)
    moving_s = int(activity.get("moving_time") or 0)
    elapsed_s = int(activity.get("elapsed_time") or moving_s)
    steps = rng.integers(1, 5, size=max(2, moving_s // 2 + 8))
    t = np.concatenate([[0], np.cumsum(steps)])
    t = t[t < moving_s]
    t = np.append(t, moving_s).astype(float)
    pause_s = max(0, elapsed_s - moving_s)
    dt = np.diff(t)
    n = len(t)
    # Effort: smooth noise, intervals as blocks, slower uphill.
    noise = np.convolve(rng.normal(0, 1, n + 30), np.ones(30) / 30, mode="valid")[:n]
    effort = 1 + 0.05 * noise / max(noise.std(), 1e-9)
    if plan.workout == "intervals":
        effort *= np.where((t // 240) % 2 == 1, 1.18, 0.82)
    route = routes()[plan.route] if plan.route is not None else None
    warm = np.clip(t / 300, 0.85, 1.0)
    speed = effort * warm
    if route is not None and distance_m:
        rough = np.concatenate([[0.0], np.cumsum(speed[1:] * dt)])
        rough *= distance_m / rough[-1]
        speed = speed * np.clip(1 - 4 * route.grade(rough), 0.6, 1.3)
    step_m = speed[1:] * dt
    total = float(step_m.sum())
    step_m = step_m * (distance_m / total) if total else step_m * 0
    along = np.concatenate([[0.0], np.cumsum(step_m)])
    velocity = np.concatenate([[0.0], step_m / dt])
    velocity = np.convolve(velocity, np.ones(5) / 5, mode="same")
    if pause_s:
        at = int(n * rng.uniform(0.3, 0.7))
        t[at:] += pause_s
    streams: dict[str, list[Any]] = {
        "time": t.astype(int).tolist(),
        "distance": np.round(along, 1).tolist(),
        "velocity_smooth": np.round(velocity, 3).tolist(),
    }
    if route is not None:
        lat, lon, alt = route.at(along)
        streams["latlng"] = np.stack([np.round(lat, 6), np.round(lon, 6)], axis=1).tolist()
        streams["altitude"] = np.round(alt, 1).tolist()
    avg_hr = activity.get("average_heartrate")
    if plan.has_hr and avg_hr:
        drift = 0.004 * (t - t[0])
        shape = 0.9 * 100 * (velocity / max(float(velocity.mean()), 1e-9) - 1) + drift
        shape = np.convolve(shape, np.ones(15) / 15, mode="same") + rng.normal(0, 1.5, n)
        heart = shape - shape.mean() + float(avg_hr)
        heart[:20] = np.linspace(max(95.0, float(avg_hr) - 40), heart[min(20, n - 1)], min(20, n))
        streams["heartrate"] = np.clip(np.round(heart), 60, 200).astype(int).tolist()
    return streams

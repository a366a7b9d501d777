"""A small synthetic athlete as storage records, for the dashboard's tests and bench."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polyline

from storage import Activity, ActivityStream, LiftSet, Measurement, Rejected

HOME = (48.8566, 2.3522)
EXERCISES = ("Back squat", "Deadlift", "Bench press")


def route(rng: random.Random, distance_m: float, n: int) -> list[tuple[float, float]]:
    """A loop around home roughly distance_m long."""
    radius_deg = distance_m / (2 * math.pi) / 111_000
    phase = rng.uniform(0, 2 * math.pi)
    centre = (HOME[0] + rng.uniform(-0.02, 0.02), HOME[1] + rng.uniform(-0.03, 0.03))
    return [
        (centre[0] + radius_deg * math.sin(phase + 2 * math.pi * i / (n - 1)),
         centre[1] + 1.5 * radius_deg * math.cos(phase + 2 * math.pi * i / (n - 1)))
        for i in range(n)
    ]


def generate(days: int = 120, end: datetime | None = None, seed: int = 7,
             stream_points: int = 600, with_streams: bool = True) -> dict[str, list[Any]]:
    """Records for `days` days up to `end`: daily weigh-ins, runs every ~3 days, lifting twice a
    week, a few rejected rows, plus the sync status docs the collectors would write."""
    rng = random.Random(seed)
    end = end or datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    measurements: list[Measurement] = []
    activities: list[Activity] = []
    streams: list[ActivityStream] = []
    lifts: list[LiftSet] = []
    weight = 82.0
    for d in range(days + 1):
        moment = start + timedelta(days=d, minutes=rng.randint(0, 90))
        weight += rng.gauss(-0.01, 0.25) * 0.4
        fat = 22 + (weight - 80) * 0.6 + rng.gauss(0, 0.3)
        sid = f"g{d}"
        measurements.append(Measurement(moment, "weight_kg", round(weight, 2), "withings", sid))
        measurements.append(Measurement(moment, "fat_ratio_pct", round(fat, 2), "withings", sid))
        measurements.append(Measurement(moment, "fat_mass_kg", round(weight * fat / 100, 2),
                                        "withings", sid))
        if d % 3 == 0:
            distance_m = rng.uniform(4000, 15000)
            speed = rng.uniform(2.6, 3.4)
            run_id = f"{1000 + d}"
            points = route(rng, distance_m, 60)
            activities.append(Activity(
                id=run_id, source="strava", start_time=moment + timedelta(hours=10),
                sport_type=rng.choice(("Run", "Run", "TrailRun")), name=f"Run {d}",
                distance_m=round(distance_m, 1), moving_time_s=round(distance_m / speed),
                elapsed_time_s=round(distance_m / speed) + 60,
                elevation_gain_m=round(rng.uniform(10, 300), 1), average_speed_mps=round(speed, 3),
                average_heartrate_bpm=round(rng.uniform(135, 165), 1),
                summary_polyline=polyline.encode(points, 5),
            ))
            if with_streams:
                n = stream_points
                streams.append(ActivityStream(
                    activity_id=run_id,
                    time_s=[float(i * distance_m / speed / n) for i in range(n)],
                    distance_m=[float(i * distance_m / (n - 1)) for i in range(n)],
                    altitude_m=[round(40 + 20 * math.sin(i / 40), 1) for i in range(n)],
                    velocity_mps=[round(speed + 0.3 * math.sin(i / 15), 2) for i in range(n)],
                    heartrate_bpm=[round(140 + 15 * math.sin(i / 50), 0) for i in range(n)]
                    if d % 2 == 0 else None,
                ))
        elif d % 7 == 1:
            activities.append(Activity(
                id=f"r{d}", source="strava", start_time=moment + timedelta(hours=9),
                sport_type="Ride", name=f"Ride {d}", distance_m=30000.0, moving_time_s=4000.0,
            ))
        if d % 7 in (2, 5):
            day = (start + timedelta(days=d)).date()
            for e_index, exercise in enumerate(EXERCISES[: 2 + d % 2]):
                base = (60, 100, 50)[EXERCISES.index(exercise)] + d * 0.05
                for s in range(1, 4):
                    lifts.append(LiftSet(day, exercise, s, rng.choice((3, 5, 8)),
                                         round(base + rng.choice((0, 2.5, 5)), 1),
                                         source_row=d * 10 + e_index * 3 + s))
    rejected = [
        Rejected("sheets", "row 12", "weight is not a number", "8O kg", end - timedelta(days=2)),
        Rejected("withings", "grp 991", "measure without value", '{"type": 1}',
                 end - timedelta(days=1)),
    ]
    sync = {
        src: {"last_success_at": (end - timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "last_outcome": "ok", "fetched": n, "stored": n, "rejected": r, "requests": 3}
        for src, h, n, r in (("strava", 2, len(activities), 0),
                             ("withings", 3, len(measurements), 1),
                             ("sheets", 5, len(lifts), 1))
    }
    return {"measurements": measurements, "activities": activities, "streams": streams,
            "lift_sets": lifts, "rejected": rejected, "sync": sync}


def load(store: Any, records: dict[str, list[Any]]) -> None:
    for kind in ("measurements", "activities", "streams", "lift_sets", "rejected"):
        store.put(records[kind])
    for source, doc in records["sync"].items():
        store.put_doc("sync", source, doc)


def first_day(records: dict[str, list[Any]]) -> date:
    return min(m.time for m in records["measurements"]).date()

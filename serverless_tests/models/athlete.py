"""A synthetic athlete whose weekly training really moves their weight, for the model's tests."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storage import Activity, LiftSet, Measurement

# The truth the model should find: kg per week from running and lifting, fat ratio alike.
BASE_KG_PER_WEEK = 0.30
KG_PER_RUN_KM = -0.012
KG_PER_SESSION = -0.05
PCT_PER_RUN_KM = -0.008
PCT_PER_SESSION = -0.06


@dataclass(frozen=True)
class Plan:
    runs: int
    run_km: float
    sessions: int
    lift_kg: float


def true_change(plan: Plan) -> tuple[float, float]:
    """(kg, percentage points) per week this plan causes, before noise."""
    km = plan.runs * plan.run_km
    return (
        BASE_KG_PER_WEEK + KG_PER_RUN_KM * km + KG_PER_SESSION * plan.sessions,
        0.2 + PCT_PER_RUN_KM * km + PCT_PER_SESSION * plan.sessions,
    )


def generate(
    weeks: int = 104,
    seed: int = 1,
    first_monday: date = date(2023, 1, 2),
    weigh_in_chance: float = 0.8,
    noise_kg: float = 0.35,
) -> dict[str, Any]:
    """Training blocks of 2–6 weeks with one plan each; daily weigh-ins (some days skipped) that
    follow the plan's true weekly change plus day-to-day noise."""
    rng = random.Random(seed)
    measurements: list[Measurement] = []
    activities: list[Activity] = []
    lifts: list[LiftSet] = []
    plans: list[Plan] = []
    while len(plans) < weeks:
        plan = Plan(
            runs=rng.choice((0, 1, 2, 3, 3, 4, 5)),
            run_km=round(rng.uniform(4, 16), 1),
            sessions=rng.choice((0, 0, 1, 2, 3, 4)),
            lift_kg=round(rng.uniform(30, 90), 1),
        )
        plans.extend([plan] * rng.randint(2, 6))
    plans = plans[:weeks]
    weight, fat = 84.0, 24.0
    for w, plan in enumerate(plans):
        monday = first_monday + timedelta(weeks=w)
        kg_week, pct_week = true_change(plan)
        for d in range(7):
            day = monday + timedelta(days=d)
            weight += kg_week / 7
            fat += pct_week / 7
            if rng.random() < weigh_in_chance:
                moment = datetime(day.year, day.month, day.day, 6, rng.randint(0, 59), tzinfo=UTC)
                sid = f"{w}-{d}"
                measurements.append(Measurement(moment, "weight_kg",
                                                round(weight + rng.gauss(0, noise_kg), 2),
                                                "withings", sid))
                measurements.append(Measurement(moment, "fat_ratio_pct",
                                                round(fat + rng.gauss(0, noise_kg * 0.6), 2),
                                                "withings", sid))
        for r in range(plan.runs):
            day = monday + timedelta(days=(r * 2) % 7)
            km = plan.run_km * rng.uniform(0.9, 1.1)
            speed_mps = rng.uniform(2.5, 3.3)
            activities.append(Activity(
                id=f"{w}-{r}", source="strava",
                start_time=datetime(day.year, day.month, day.day, 17, tzinfo=UTC),
                sport_type=rng.choice(("Run", "Run", "TrailRun", "VirtualRun")),
                distance_m=round(km * 1000, 1), moving_time_s=round(km * 1000 / speed_mps),
            ))
        if w % 3 == 0:
            # Rides are not running: they must not count.
            day = monday + timedelta(days=5)
            activities.append(Activity(
                id=f"{w}-ride", source="strava",
                start_time=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                sport_type="Ride", distance_m=40000.0, moving_time_s=5400.0,
            ))
        for s in range(plan.sessions):
            day = monday + timedelta(days=1 + s)
            for i in range(1, 4):
                lifts.append(LiftSet(day, "Back squat", i, 5, plan.lift_kg, source_row=w * 100 + s))
    return {
        "measurements": measurements,
        "activities": activities,
        "lift_sets": lifts,
        "plans": plans,
        "first_monday": first_monday,
        "today": first_monday + timedelta(weeks=weeks, days=2),
    }


def load(store: Any, data: dict[str, Any]) -> None:
    for kind in ("measurements", "activities", "lift_sets"):
        store.put(data[kind])

"""The athlete's body on a smart scale: weight and fat ratio answering training, as weigh-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from demo.athlete.clock import epoch, paris_offset_s

WITHINGS_TYPES = (1, 5, 6, 8, 76, 77, 88)
NEW_SCALE_AFTER_DAYS = 180  # then the scale also reports muscle, hydration and bone mass


@dataclass(frozen=True)
class Body:
    """How weight and fat ratio answer a day's training, and how the scale reads them.

    The default is the demo's athlete, an energy balance at 7700 kcal a kilogram: intake balances
    an average day, a km run burns about 58 kcal and a lifting session 230 (weeks above average
    volume lose weight, weeks below gain), a kilogram over the set point burns 23 kcal more a day
    (the body's slow pull back), year-end feasts add some. The scale reads water too: a hard day
    holds some for a few days. The fat ratio follows the weight gained or lost (most of it fat)
    and lifting, which keeps lean mass. `RESPONSIVE` is an athlete whose weight and fat ratio
    follow their training and nothing else."""

    kg_per_run_km: float = 0.0075  # lost per km run that day
    kg_per_session: float = 0.03  # lost per lifting session
    drift_kg_per_day: float | None = None  # None: the intake that balances an average day
    set_point_pull: float = 0.003  # share of the gap to the set point closed each day
    walk_kg: float = 0.01  # day-to-day wander (standard deviation)
    feast_kg_per_day: float = 0.03  # from 20 December to 3 January
    water_kg_per_session: float = 0.25  # held after a lifting session
    water_kg_per_run_km: float = 0.01  # held after a run
    water_kept: float = 0.6  # share of the water still held the next day
    weigh_in_chance: float = 0.86
    feast_weigh_in_chance: float = 0.45
    scale_noise_kg: float = 0.35
    monday_kg: float = 0.3  # what the weekend shows on Monday morning
    fat_pct_per_kg: float = 0.45  # the fat ratio's share of a kilogram over the set point
    fat_pct_per_chronic_km: float = 0.0  # lower per weekly km above 25 (a 4-week mean)
    fat_pct_per_run_km: float = 0.0  # lost per km run that day
    fat_pct_per_session: float = -0.004  # lean mass kept by lifting
    fat_drift_pct_per_day: float = 0.0
    fat_noise_pct: float = 0.5


DEMO_BODY = Body()
# Weight and fat ratio moved by training alone, a week's change the sum of its days': +0.30 kg
# and +0.2 points a week, -0.012 kg and -0.008 points per km run, -0.05 kg and -0.06 points per
# lifting session; read through the scale's noise.
RESPONSIVE = Body(
    kg_per_run_km=0.012,
    kg_per_session=0.05,
    drift_kg_per_day=0.30 / 7,
    set_point_pull=0.0,
    walk_kg=0.0,
    feast_kg_per_day=0.0,
    weigh_in_chance=0.8,
    feast_weigh_in_chance=0.8,
    monday_kg=0.0,
    water_kg_per_session=0.0,
    water_kg_per_run_km=0.0,
    fat_pct_per_kg=0.0,
    fat_pct_per_chronic_km=0.0,
    fat_pct_per_run_km=-0.008,
    fat_pct_per_session=-0.06,
    fat_drift_pct_per_day=0.2 / 7,
    fat_noise_pct=0.21,
)


def weighins(
    rng: np.random.Generator,
    start: datetime,
    end: datetime,
    run_km: dict[date, float],
    lifts: dict[date, int],
    body: Body = DEMO_BODY,
) -> list[dict[str, Any]]:
    """Withings measure groups, newest first: most mornings a weigh-in (weight, and from the
    scale body composition), a few typed in by hand, and one weight objective."""
    days = (end - start).days
    base_kg = 81.0 + rng.normal(0, 2)
    mean_run_km = sum(run_km.values()) / max(days, 1)
    mean_lifts = sum(lifts.values()) / max(days, 1)
    intake_kg = body.drift_kg_per_day
    if intake_kg is None:
        intake_kg = body.kg_per_run_km * mean_run_km + body.kg_per_session * mean_lifts
    weight = base_kg + 1.5
    fat_own_pct = 0.0  # what training did to the fat ratio directly
    water_kg = 0.0
    chronic_km = mean_run_km * 7
    grpid = 3_100_000_000 + int(rng.integers(0, 10_000_000))
    device = "".join(rng.choice(list("0123456789abcdef"), 40))
    new_scale_from = start + timedelta(days=NEW_SCALE_AFTER_DAYS)
    groups: list[dict[str, Any]] = []
    for offset in range(days):
        day = (start + timedelta(days=offset)).date()
        km = run_km.get(day, 0.0)
        sessions = lifts.get(day, 0)
        feast = (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 3)
        weight += (
            intake_kg
            - body.kg_per_run_km * km
            - body.kg_per_session * sessions
            + (body.feast_kg_per_day if feast else 0.0)
            + body.set_point_pull * (base_kg - weight)
            + rng.normal(0, body.walk_kg)
        )
        fat_own_pct += (
            body.fat_drift_pct_per_day
            + body.fat_pct_per_run_km * km
            + body.fat_pct_per_session * sessions
        )
        chronic_km += (km * 7 - chronic_km) / 28
        water_kg = (water_kg * body.water_kept + body.water_kg_per_session * sessions
                    + body.water_kg_per_run_km * km)
        if rng.random() > (body.feast_weigh_in_chance if feast else body.weigh_in_chance):
            continue
        local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            hours=6.5 + rng.random() * 2
        )
        moment = local - timedelta(seconds=paris_offset_s(local))
        if moment >= end:
            break
        observed = (
            weight
            + water_kg
            + rng.normal(0, body.scale_noise_kg)
            + (body.monday_kg if day.weekday() == 0 else 0.0)
        )
        fat_pct = (
            19.0
            + body.fat_pct_per_kg * (weight - base_kg)
            - body.fat_pct_per_chronic_km * (chronic_km - 25)
            + fat_own_pct
            + rng.normal(0, body.fat_noise_pct)
        )
        grpid += int(rng.integers(1, 60))
        created = epoch(moment) + int(rng.integers(5, 900))
        manual = rng.random() < 0.02
        measures = [{"value": round(observed * 1000), "type": 1, "unit": -3}]
        if not manual:
            fat_kg = observed * fat_pct / 100
            free_kg = observed - fat_kg
            measures += [
                {"value": round(free_kg * 100), "type": 5, "unit": -2},
                {"value": round(fat_pct * 1000), "type": 6, "unit": -3},
                {"value": round(fat_kg * 100), "type": 8, "unit": -2},
            ]
            if moment >= new_scale_from:
                bone_kg = 3.3 + rng.normal(0, 0.03)
                measures += [
                    {"value": round((free_kg - bone_kg) * 100), "type": 76, "unit": -2},
                    {"value": round(free_kg * 0.73 * 100), "type": 77, "unit": -2},
                    {"value": round(bone_kg * 100), "type": 88, "unit": -2},
                ]
        modified = created
        if rng.random() < 0.02:  # a group reassigned or edited later
            modified = min(created + int(rng.integers(3_600, 20 * 86_400)), epoch(end))
        groups.append(
            {
                "grpid": grpid,
                "attrib": 2 if manual else 0,
                "date": epoch(moment),
                "created": created,
                "modified": modified,
                "category": 1,
                "deviceid": None if manual else device,
                "hash_deviceid": None if manual else device,
                "measures": measures,
                "comment": None,
                "modelid": None if manual else (13 if moment >= new_scale_from else 5),
            }
        )
    # A user objective (category 2): a filter on category=1 must leave it out.
    goal_at = epoch(start) + 3_600
    groups.append(
        {
            "grpid": grpid + 1,
            "attrib": 2,
            "date": goal_at,
            "created": goal_at,
            "modified": goal_at,
            "category": 2,
            "deviceid": None,
            "hash_deviceid": None,
            "measures": [{"value": round((base_kg - 4) * 1000), "type": 1, "unit": -3}],
            "comment": None,
            "modelid": None,
        }
    )
    groups.sort(key=lambda g: (g["date"], g["grpid"]), reverse=True)
    return groups

"""The athlete's training, week by week: when they run how far, lift and ride."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from demo.athlete.clock import paris_offset_s


@dataclass
class Week:
    monday: date
    run_km: float
    runs: tuple[tuple[int, str, float], ...]  # (weekday, workout, share of the week's km)
    lift_days: tuple[int, ...]
    ride_days: tuple[int, ...]


# Running volume over the year: most in the spring-to-summer race season, least in midwinter.
SEASON_AMPLITUDE = 0.4
SEASON_PEAK_DAY = 171  # 20 June


def season(day: date) -> float:
    """How much of the athlete's usual running volume falls in the week of `day`."""
    phase = 2 * math.pi * (day.timetuple().tm_yday - SEASON_PEAK_DAY) / 365.25
    return 1 + SEASON_AMPLITUDE * math.cos(phase)


def periodised(rng: np.random.Generator, start: datetime, end: datetime) -> list[Week]:
    """Blocks of 10-14 weeks building up and easing off, recovery weeks, a race season in summer
    and a quiet winter, August holidays, now and then an injury: how the demo's athlete trains."""
    monday = start.date() - timedelta(days=start.weekday())
    weeks: list[Week] = []
    base_km = 22.0 + rng.normal(0, 2)
    block_week, block_len = 0, int(rng.integers(10, 15))
    break_left = 0
    while monday < end.date():
        block_week += 1
        if break_left == 0 and rng.random() < 0.018:
            break_left = int(rng.integers(2, 4))  # injury or holiday: no running, no lifting
        holiday = monday.month == 8 and monday.day <= 21
        if break_left:
            break_left -= 1
            weeks.append(Week(monday, 0.0, (), (), ()))
            monday += timedelta(days=7)
            continue
        if block_week > block_len + 2:
            block_week, block_len = 0, int(rng.integers(10, 15))
            base_km += rng.normal(1.0, 1.5)
        if block_week <= block_len:
            km = base_km * (1 + 0.9 * block_week / block_len)
            if block_week % 4 == 0:
                km *= 0.7  # recovery week
        else:
            km = base_km * 0.5
        if holiday:
            km *= 0.5
        km *= season(monday)
        km = max(8.0, km * rng.normal(1.0, 0.08))
        four = rng.random() < (0.35 + 0.4 * min(1.0, block_week / max(block_len, 1)))
        runs: tuple[tuple[int, str, float], ...]  # (weekday, kind, share of the week's km)
        if four:
            runs = (
                (1, "easy", 0.22),
                (2, "intervals", 0.18),
                (4, "tempo", 0.22),
                (6, "long", 0.38),
            )
        else:
            runs = ((1, "easy", 0.3), (3, "tempo", 0.28), (6, "long", 0.42))
        lift_days: tuple[int, ...] = () if holiday else (0, 2, 4)
        if not holiday and rng.random() < 0.15:
            lift_days = (0, 3, 5)
        ride_days: tuple[int, ...] = ()
        summer = 4 <= monday.month <= 9
        if rng.random() < (0.45 if summer else 0.15):
            ride_days = (5,)
        weeks.append(Week(monday, km, runs, lift_days, ride_days))
        monday += timedelta(days=7)
    return weeks


def local_start(rng: np.random.Generator, day: date, workout: str) -> datetime:
    if workout == "long" or workout in ("ride", "virtual_ride"):
        hour = 8.0 + rng.random() * 2.5
    elif workout == "lift":
        hour = 18.5 + rng.random()
    else:
        hour = float(rng.choice([6.75, 12.25, 18.0])) + rng.random() * 0.75
    local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)
    local = local.replace(microsecond=0)
    return local - timedelta(seconds=paris_offset_s(local))


def varied(rng: np.random.Generator, start: datetime, end: datetime) -> list[Week]:
    """Blocks of 2-6 weeks, each with a plan drawn at random (0-5 easy runs of 4-16 km, 0-4
    lifting days, a ride every third week): training that varies enough for its effect on
    weight to show, what the forecaster's tests need."""
    monday = start.date() - timedelta(days=start.weekday())
    weeks: list[Week] = []
    while monday < end.date():
        runs_per_week = int(rng.choice((0, 1, 2, 3, 3, 4, 5)))
        km_per_run = round(float(rng.uniform(4, 16)), 1)
        sessions = int(rng.choice((0, 0, 1, 2, 3, 4)))
        for _ in range(int(rng.integers(2, 7))):
            if monday >= end.date():
                break
            runs = tuple(((r * 2) % 7, "easy", 1 / runs_per_week) for r in range(runs_per_week))
            lift_days = tuple(range(1, 1 + sessions))
            ride_days = (5,) if len(weeks) % 3 == 0 else ()
            weeks.append(Week(monday, km_per_run * runs_per_week, runs, lift_days, ride_days))
            monday += timedelta(days=7)
    return weeks


Plan = Callable[[np.random.Generator, datetime, datetime], list[Week]]

"""The body's trend: TrendWeight's exponential smoothing of daily weigh-ins, rates, fat and lean."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo

from core import localtime

# TrendWeight's (and The Hacker's Diet's) smoothing: each day the trend moves a tenth of the way
# to that day's weight. One number, no noise model to fit, and what those apps' users know: a
# local-level Kalman filter would adapt its gain, but on a scale's noise it settles near the
# same gain, and it needs two variances a few months of data cannot pin down.
ALPHA = 0.1
RATE_WEEKS = (2, 4, 8)
# A rate is a regression over the trend of the last N weeks; it needs days in half of them.
MIN_RATE_SHARE = 0.5


def daily_means(points: Iterable[tuple[datetime, float]], tz: tzinfo) -> dict[date, float]:
    """One value per local day (the owner's zone): several weigh-ins on a day count as their
    mean."""
    by_day: dict[date, list[float]] = defaultdict(list)
    for moment, value in points:
        by_day[localtime.local_date(moment, tz)].append(float(value))
    return {day: sum(values) / len(values) for day, values in sorted(by_day.items())}


def smooth(daily: Mapping[date, float], alpha: float = ALPHA) -> dict[date, float]:
    """The trend on every day from the first weigh-in to the last. A day without one keeps the
    trend where it was (the scale said nothing new); the first day starts at its weight."""
    if not daily:
        return {}
    days = sorted(daily)
    out: dict[date, float] = {}
    level = daily[days[0]]
    day = days[0]
    while day <= days[-1]:
        if day in daily:
            level += alpha * (daily[day] - level)
        out[day] = level
        day += timedelta(days=1)
    return out


def weekly_rate(trend: Mapping[date, float], weeks: int,
                measured: Iterable[date] | None = None) -> float | None:
    """The least-squares slope (per week) of the trend over the last `weeks` weeks, None when
    fewer than half of those days had a weigh-in (`measured`: the days that had one)."""
    if not trend:
        return None
    last = max(trend)
    first = last - timedelta(days=weeks * 7 - 1)
    days = [d for d in sorted(trend) if d >= first]
    weighed = set(measured) if measured is not None else set(days)
    if len([d for d in days if d in weighed]) < MIN_RATE_SHARE * weeks * 7 or len(days) < 2:
        return None
    xs = [(d - first).days for d in days]
    ys = [trend[d] for d in days]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope * 7


def rates(trend: Mapping[date, float], measured: Iterable[date]) -> dict[int, float | None]:
    """The weekly rate over the last 2, 4 and 8 weeks."""
    days = set(measured)
    return {weeks: weekly_rate(trend, weeks, days) for weeks in RATE_WEEKS}


def composition(weight: Mapping[date, float], fat_ratio: Mapping[date, float]
                ) -> tuple[dict[date, float], dict[date, float]]:
    """Fat mass and lean (fat-free) mass in kg on the days with both a weight and a fat ratio:
    weight × ratio and the rest, to be smoothed like the weight."""
    fat_kg, lean_kg = {}, {}
    for day in sorted(set(weight) & set(fat_ratio)):
        fat_kg[day] = weight[day] * fat_ratio[day] / 100
        lean_kg[day] = weight[day] - fat_kg[day]
    return fat_kg, lean_kg

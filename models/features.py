"""Weekly features (training volume) and targets (change of weight and fat ratio) from the store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from core import localtime

FEATURES = ("distance_km", "duration_h", "crossfit_sessions", "avg_weight_kg")
TARGETS = ("weight_kg", "fat_ratio_pct")
RUNNING_SPORTS = frozenset({"Run", "TrailRun", "VirtualRun"})
# A weekly mean from one or two weigh-ins is mostly water and noise: ask for a few days.
MIN_DAYS_PER_WEEK = 3

# Where an activity came from, for the weekly counts: Strava's API agreement forbids training
# models on what its API gave, so API-only activities are used only on the owner's choice.
FILE = "file"
STRAVA = "strava"
STRAVA_API = "strava_api"


@dataclass(frozen=True)
class ForecastConfig:
    """The owner's choices for training, built from settings at an edge."""

    # PULSEBOARD_FORECAST_USE_STRAVA_API: activities only Strava's API gave are trained on too.
    use_strava_api: bool = False
    # PULSEBOARD_TIMEZONE: the owner's weeks run Monday to Sunday on their own calendar.
    timezone: str = "UTC"

    @property
    def tz(self) -> tzinfo:
        return localtime.zone(self.timezone)


DEFAULT_CONFIG = ForecastConfig()

def forecast_config(current: Any) -> ForecastConfig:
    """The config from settings, at an edge (a command line, a Lambda handler)."""
    return ForecastConfig(use_strava_api=bool(current.forecast_use_strava_api),
                          timezone=str(getattr(current, "timezone", "UTC") or "UTC"))


def provenance(activity: Any) -> str:
    """FILE when the owner's own file or Strava export brought the activity (alone or as well as
    Strava's API), STRAVA_API when only the API did, else the activity's source."""
    also = {part for part in str(getattr(activity, "also_from", "") or "").split(",") if part}
    if activity.source == FILE or FILE in also:
        return FILE
    if activity.source == STRAVA:
        return STRAVA_API
    return str(activity.source)


TOO_FEW = {
    "weight_kg": "fewer than {n} days with a weigh-in",
    "fat_ratio_pct": "fewer than {n} days with a fat-ratio reading",
}


@dataclass(frozen=True)
class Week:
    """One ISO week (Monday to Sunday, the owner's local days): what was trained and how the
    body changed.

    A target is None when it cannot be measured honestly; `left_out` then says why."""

    start: date
    distance_km: float
    duration_h: float
    crossfit_sessions: int
    avg_weight_kg: float
    weight_kg: float | None
    fat_ratio_pct: float | None
    left_out: str = ""
    # The 7-day means themselves (None with too few days): the backtest's levels.
    weight_mean_kg: float | None = None
    fat_ratio_mean_pct: float | None = None
    # Activities of the week by provenance, counted whether or not they were trained on.
    file_activities: int = 0
    strava_api_activities: int = 0
    strava_api_used: bool = False

    @property
    def features(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, name)) for name in FEATURES)

    @property
    def targets(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, name)) for name in TARGETS)

    @property
    def used(self) -> bool:
        return not self.left_out


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def daily_means(points: Iterable[tuple[datetime, float]],
                tz: tzinfo = UTC) -> dict[date, float]:
    """One value per local day in `tz` (the owner's): several weigh-ins on a day count once,
    as their mean."""
    sums: dict[date, list[float]] = defaultdict(list)
    for moment, value in points:
        sums[localtime.local_date(moment, tz)].append(float(value))
    return {day: sum(values) / len(values) for day, values in sums.items()}


def weekly_means(daily: dict[date, float], min_days: int) -> dict[date, float | None]:
    """The 7-day mean at the end of each week (the mean of its days), None when too few days."""
    by_week: dict[date, list[float]] = defaultdict(list)
    for day, value in daily.items():
        by_week[monday(day)].append(value)
    return {
        week: (sum(values) / len(values) if len(values) >= min_days else None)
        for week, values in by_week.items()
    }


def build_weeks(
    weights: Iterable[tuple[datetime, float]],
    fat_ratios: Iterable[tuple[datetime, float]],
    activities: Iterable[Any],
    lift_sets: Iterable[Any],
    today: date,
    min_days: int = MIN_DAYS_PER_WEEK,
    config: ForecastConfig = DEFAULT_CONFIG,
) -> list[Week]:
    """Every complete week from the first weigh-in's week to the last weigh-in's, before `today`.

    Features: running distance (km) and moving time (h) of Run/TrailRun/VirtualRun activities,
    the number of days with lifting sets, and the mean weight per rep across those sets (kg; 0
    without lifting). Targets: this week's 7-day mean minus last week's, for weight (kg) and fat
    ratio (percentage points). A week whose target is unknown is kept, marked `left_out`, never
    filled in.

    Activities only Strava's API gave count in `strava_api_activities` but add to the running
    features only when `config.use_strava_api` says the owner chose so."""
    weight_weeks = weekly_means(daily_means(weights, config.tz), min_days)
    fat_weeks = weekly_means(daily_means(fat_ratios, config.tz), min_days)
    if not weight_weeks:
        return []

    distance_m: dict[date, float] = defaultdict(float)
    moving_s: dict[date, float] = defaultdict(float)
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for activity in activities:
        # The day it happened on where it happened (a run in Tokyo is on Tokyo's date).
        week = monday(_activity_day(activity))
        origin = provenance(activity)
        counts[week, origin] += 1
        if origin == STRAVA_API and not config.use_strava_api:
            continue
        if activity.sport_type in RUNNING_SPORTS:
            distance_m[week] += activity.distance_m
            moving_s[week] += activity.moving_time_s

    session_days: dict[date, set[date]] = defaultdict(set)
    reps: dict[date, int] = defaultdict(int)
    kg_reps: dict[date, float] = defaultdict(float)
    for lift in lift_sets:
        week = monday(lift.date)
        session_days[week].add(lift.date)
        reps[week] += lift.reps
        kg_reps[week] += lift.reps * lift.weight_kg

    first = min(weight_weeks)
    # The current week is not over: its training is not all in yet, so it is never used. Weeks
    # after the last weigh-in are not "left out": there is simply no data for them yet.
    last = min(monday(today) - timedelta(days=7), max(weight_weeks))
    weeks = []
    week = first
    while week <= last:
        before = week - timedelta(days=7)
        changes: dict[str, float | None] = {}
        reasons = []
        for name, means in (("weight_kg", weight_weeks), ("fat_ratio_pct", fat_weeks)):
            now, then = means.get(week), means.get(before)
            if now is None:
                reasons.append(TOO_FEW[name].format(n=min_days))
            elif then is None:
                reasons.append(TOO_FEW[name].format(n=min_days) + " the week before")
            changes[name] = None if now is None or then is None else now - then
        weeks.append(
            Week(
                start=week,
                distance_km=distance_m.get(week, 0.0) / 1000.0,
                duration_h=moving_s.get(week, 0.0) / 3600.0,
                crossfit_sessions=len(session_days.get(week, ())),
                avg_weight_kg=(kg_reps[week] / reps[week]) if reps.get(week) else 0.0,
                weight_kg=changes["weight_kg"],
                fat_ratio_pct=changes["fat_ratio_pct"],
                left_out="; ".join(reasons),
                weight_mean_kg=weight_weeks.get(week),
                fat_ratio_mean_pct=fat_weeks.get(week),
                file_activities=counts.get((week, FILE), 0),
                strava_api_activities=counts.get((week, STRAVA_API), 0),
                strava_api_used=config.use_strava_api,
            )
        )
        week += timedelta(days=7)
    return weeks


def _activity_day(activity: Any) -> date:
    local_date = getattr(activity, "local_date", None)
    if callable(local_date):
        return local_date()
    return localtime.local_date(activity.start_time, UTC)


def fetch(store: Any, today: date | None = None, min_days: int = MIN_DAYS_PER_WEEK,
          config: ForecastConfig = DEFAULT_CONFIG) -> list[Week]:
    """Reads what the features need from the store (one query per partition) and builds weeks."""
    today = today or localtime.local_date(datetime.now(UTC), config.tz)
    weights = [(m.time, m.value) for m in store.query("measurements", "weight_kg")]
    fats = [(m.time, m.value) for m in store.query("measurements", "fat_ratio_pct")]
    return build_weeks(
        weights, fats, store.query("activities"), store.query("lift_sets"), today, min_days,
        config,
    )


def summarise_left_out(weeks: Iterable[Week]) -> dict[str, int]:
    """How many weeks were left out, by reason."""
    counts: dict[str, int] = defaultdict(int)
    for week in weeks:
        if week.left_out:
            counts[week.left_out] += 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))

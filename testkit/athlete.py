"""The one synthetic athlete (demo.athlete) as the record sets tests, bench and trials load."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from demo.athlete import RESPONSIVE, Athlete, Lift, Programme, varied
from demo.athlete.records import as_records, load
from models import features
from storage import Rejected

__all__ = ["dashboard_records", "demo_training_records", "load", "training_records", "weeks_of"]

# A Wednesday: the weeks before it are complete, whatever the number asked for.
TRAINING_END = date(2025, 7, 2)
# Three lifts, twice a week: what the dashboard's crossfit page is tested with.
STRENGTH = Programme(
    lifts=(
        Lift("Back squat", 60.0, 3, 5, 2.5),
        Lift("Deadlift", 100.0, 3, 5, 2.5),
        Lift("Bench press", 50.0, 3, 5, 1.25),
    ),
    templates=(("Back squat", "Deadlift"), ("Back squat", "Deadlift", "Bench press")),
)


def training_records(weeks: int = 104, seed: int = 1) -> dict[str, Any]:
    """`weeks` of an athlete whose weight and fat ratio follow varied training and nothing else
    (the truth the forecaster has to find), as records; no streams, the model reads none."""
    made = _training_records(weeks, seed)
    return {kind: list(v) if isinstance(v, list) else v for kind, v in made.items()}


@functools.lru_cache(maxsize=8)
def _training_records(weeks: int, seed: int) -> dict[str, Any]:
    # Built once per process: several test modules train on the same weeks, and the records
    # are frozen (callers get their own lists).
    athlete = Athlete.generate(seed, years=weeks * 7 / 365.25, end=TRAINING_END, plan=varied,
                               body=RESPONSIVE)
    made = as_records(athlete, streams=False)
    # As if the owner had imported their Strava export too: the forecaster trains only on
    # activities that came from the owner's own files (Strava's API agreement).
    made["activities"] = [replace(a, also_from="file") for a in made["activities"]]
    return made


def demo_training_records(years: float = 3.0, seed: int = 7,
                          end: date = TRAINING_END) -> dict[str, Any]:
    """The demo's own athlete (periodised training, an energy balance read through a scale), as
    `make demo` makes it but ending on `end`, its Strava export imported; no streams."""
    made = _demo_training_records(years, seed, end)
    return {kind: list(v) if isinstance(v, list) else v for kind, v in made.items()}


@functools.lru_cache(maxsize=4)
def _demo_training_records(years: float, seed: int, end: date) -> dict[str, Any]:
    made = as_records(Athlete.generate(seed, years=years, end=end), streams=False)
    made["activities"] = [replace(a, also_from="file") for a in made["activities"]]
    return made


def dashboard_records(
    days: int = 120, seed: int = 7, end: date | None = None, stream_points: int = 600
) -> dict[str, Any]:
    """`days` up to `end` (today) of the demo's athlete lifting `STRENGTH`, streams thinned to
    about `stream_points` samples, and two rejected rows the quality page shows."""
    athlete = Athlete.generate(seed, years=days / 365.25, end=end, programme=STRENGTH)
    return as_records(athlete, stream_points=stream_points, rejected=_two_rejected(athlete.end))


def weeks_of(records: dict[str, Any]) -> list[features.Week]:
    """The model's weeks, as `features.fetch` builds them from a store holding `records`."""
    ms = records["measurements"]
    return features.build_weeks(
        [(m.time, m.value) for m in ms if m.type == "weight_kg"],
        [(m.time, m.value) for m in ms if m.type == "fat_ratio_pct"],
        records["activities"], records["lift_sets"], records["today"],
    )


def _two_rejected(end: datetime) -> list[Rejected]:
    return [
        Rejected("sheets", "row 12", "weight is not a number", "8O kg", end - timedelta(days=2)),
        Rejected("withings", "grp 991", "measure without value", '{"type": 1}',
                 end - timedelta(days=1)),
    ]

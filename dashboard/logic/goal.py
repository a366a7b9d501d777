"""A body goal (weight or fat ratio, by a date or not): progress, projected date, rate needed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

TARGETS = ("weight_kg", "fat_ratio_pct")
# Within this of the goal the trend is "maintaining": a scale's noise and a day's water move a
# trend by about this much, so closer than this is not a gap to close.
BAND = {"weight_kg": 0.5, "fat_ratio_pct": 0.5}
LIMITS = {"weight_kg": (20.0, 400.0), "fat_ratio_pct": (2.0, 70.0)}
# A rate slower than this per week never gets anywhere: no projected date.
STILL = {"weight_kg": 0.02, "fat_ratio_pct": 0.01}


# Where goals are kept: a doc space of the store, one goal per user name.
SPACE = "goals"


class GoalError(ValueError):
    """A goal that cannot be kept; the message says what to change."""


@dataclass(frozen=True)
class Goal:
    target: str  # "weight_kg" or "fat_ratio_pct", SI
    value: float
    by: date | None = None

    def to_record(self) -> dict[str, Any]:
        return {"target": self.target, "value": self.value,
                "by": self.by.isoformat() if self.by else ""}


def make(target: str, value: Any, by: Any = None, today: date | None = None) -> Goal:
    """A checked goal; GoalError naming what is wrong otherwise."""
    if target not in TARGETS:
        raise GoalError(f"a goal is a weight or a fat ratio, not {target!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GoalError("the goal must be a number") from None
    low, high = LIMITS[target]
    if not math.isfinite(number) or not low <= number <= high:
        raise GoalError(f"the goal must be between {low:g} and {high:g}"
                        f" {'kg' if target == 'weight_kg' else '%'}")
    day: date | None = None
    if by not in (None, ""):
        try:
            day = by if isinstance(by, date) else date.fromisoformat(str(by)[:10])
        except ValueError:
            raise GoalError(f"the goal's date {by!r} is not a date (YYYY-MM-DD)") from None
        if today is not None and day <= today:
            raise GoalError("the goal's date must be after today")
    return Goal(target, round(number, 3), day)


def from_record(record: Any) -> Goal | None:
    """The goal kept with a user, None when there is none (or it no longer reads)."""
    if not isinstance(record, dict) or not record:
        return None
    try:
        return make(record.get("target", ""), record.get("value"), record.get("by") or None)
    except GoalError:
        return None


def read(store: Any, user: str) -> Goal | None:
    """The goal `user` keeps in the store, None without one."""
    doc = store.get_doc(SPACE, user) if user else None
    return from_record(doc.data) if doc is not None else None


@dataclass(frozen=True)
class Progress:
    status: str  # "maintaining", "on track", "behind", "moving away", "no trend yet"
    remaining: float  # goal − current, SI
    done: float | None  # share of the way from the start, 0..1
    projected: date | None  # when the current rate reaches it
    needed_per_week: float | None  # what meeting the date takes


def progress(goal: Goal, start: float, current: float, rate_per_week: float | None,
             today: date) -> Progress:
    """Where the trend stands against the goal: `start` is the trend when the goal was set (or
    the first of the range), `rate_per_week` the trend's recent rate."""
    remaining = goal.value - current
    span = goal.value - start
    done = None if abs(span) < 1e-9 else max(0.0, min(1.0, (current - start) / span))
    if abs(remaining) <= BAND[goal.target]:
        return Progress("maintaining", remaining, 1.0 if done is not None else None, None, None)
    needed = None
    if goal.by is not None:
        weeks_left = max((goal.by - today).days, 1) / 7
        needed = remaining / weeks_left
    if rate_per_week is None:
        return Progress("no trend yet", remaining, done, None, needed)
    projected = None
    towards = rate_per_week * remaining > 0 and abs(rate_per_week) >= STILL[goal.target]
    if towards:
        projected = today + timedelta(days=math.ceil(remaining / rate_per_week * 7))
    if not towards:
        status = "moving away"
    elif goal.by is not None and projected is not None and projected > goal.by:
        status = "behind"
    else:
        status = "on track"
    return Progress(status, remaining, done, projected, needed)

"""Manual entries: a weigh-in (weight, optional fat ratio) or a lifting set typed in by the owner,
checked, as records with source `manual` that no sync writes over or deletes."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from core import localtime, units
from storage.records import LiftSet, Measurement

SOURCE = "manual"
# A manual set is numbered from here: a sheet's sets of a day never reach it, so the two never
# share a key, and the sheet's sync (which mirrors its rows) leaves rows with MANUAL_ROW alone.
MANUAL_SET_FROM = 501
MANUAL_ROW = 0
WEIGHT_KG = (20.0, 400.0)
FAT_PCT = (2.0, 70.0)
LIFT_KG = (0.0, 600.0)
MAX_REPS = 100
MAX_EXERCISE_CHARS = 60


class EntryError(ValueError):
    """An entry that cannot be stored; the message says which field and why."""


def _number(value: Any, field: str, low: float, high: float, unit: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise EntryError(f"{field}: {value!r} is not a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise EntryError(f"{field} must be between {low:g} and {high:g} {unit}")
    return number


def _day(value: Any, today: date) -> date:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        raise EntryError(f"date: {value!r} is not a date (YYYY-MM-DD)") from None
    if day > today:
        raise EntryError("date: an entry cannot be in the future")
    return day


def weighin(day: Any, at: Any, weight: Any, fat_ratio: Any, unit: str, tz: tzinfo,
            now: datetime) -> list[Measurement]:
    """The weigh-in's records (weight, and fat ratio when given), stored in UTC and SI; `at` is
    the local time of day (HH:MM), 07:00 when not given."""
    today = localtime.local_date(now, tz)
    local_day = _day(day, today)
    try:
        moment_of_day = time.fromisoformat(str(at)) if at not in (None, "") else time(7, 0)
    except ValueError:
        raise EntryError(f"time: {at!r} is not a time of day (HH:MM)") from None
    low, high = (units.to_display(v, "weight", unit) or 0.0 for v in WEIGHT_KG)
    shown = _number(weight, "weight", round(low, 1), round(high, 1), units.label("weight", unit))
    weight_kg = units.from_display(shown, "weight", unit)
    local = datetime.combine(local_day, moment_of_day, tzinfo=tz)
    moment = local.astimezone(localtime.UTC_ZONE)
    if moment > now:
        raise EntryError("time: the weigh-in cannot be later than now")
    zone_name = getattr(tz, "key", "")
    source_id = f"{SOURCE}-{int(moment.timestamp())}"
    out = [Measurement(moment, "weight_kg", round(weight_kg, 3), SOURCE, source_id, zone_name)]
    if fat_ratio not in (None, ""):
        fat = _number(fat_ratio, "fat ratio", *FAT_PCT, "%")
        out.append(Measurement(moment, "fat_ratio_pct", round(fat, 2), SOURCE, source_id,
                               zone_name))
    return out


def lift_set(day: Any, exercise: Any, reps: Any, weight: Any, unit: str, today: date,
             taken: set[int]) -> LiftSet:
    """The set, numbered after the manual sets of that day and exercise (`taken`)."""
    local_day = _day(day, today)
    name = " ".join(str(exercise or "").split())
    if not name:
        raise EntryError("exercise: give the exercise's name")
    if len(name) > MAX_EXERCISE_CHARS:
        raise EntryError(f"exercise: at most {MAX_EXERCISE_CHARS} characters")
    count = _number(reps, "reps", 1, MAX_REPS, "reps")
    if count != int(count):
        raise EntryError("reps must be a whole number")
    high = units.to_display(LIFT_KG[1], "lifted", unit) or 0.0
    shown = _number(weight, "weight", 0, round(high), units.label("lifted", unit))
    index = max([MANUAL_SET_FROM - 1, *taken]) + 1
    return LiftSet(local_day, name, index, int(count),
                   round(units.from_display(shown, "lifted", unit), 3), MANUAL_ROW)


def is_manual_set(lift: Any) -> bool:
    return getattr(lift, "source_row", None) == MANUAL_ROW and \
        getattr(lift, "set_index", 0) >= MANUAL_SET_FROM


def entries(measurements: list[Measurement], sets: list[LiftSet], unit: str, tz: tzinfo
            ) -> list[dict[str, str]]:
    """The manual entries, newest first, as the owner reads them; `key` says which records one
    is (for deleting or editing it)."""
    rows: list[tuple[str, dict[str, str]]] = []
    by_id: dict[str, dict[str, Measurement]] = {}
    for m in measurements:
        if m.source == SOURCE:
            by_id.setdefault(m.source_id, {})[m.type] = m
    for source_id, kinds in by_id.items():
        first = next(iter(kinds.values()))
        text = units.fmt(kinds["weight_kg"].value, "weight", unit) if "weight_kg" in kinds \
            else "—"
        if "fat_ratio_pct" in kinds:
            text += f", fat {kinds['fat_ratio_pct'].value:.1f} %"
        rows.append((first.time.isoformat(), {
            "key": f"w|{source_id}", "when": localtime.fmt_datetime(first.time, tz),
            "entry": f"weigh-in {text}", "source": SOURCE}))
    for lift in sets:
        if is_manual_set(lift):
            rows.append((lift.date.isoformat(), {
                "key": f"s|{lift.sort_key()}", "when": localtime.fmt_date(lift.date),
                "entry": f"{lift.exercise}: {lift.reps} × "
                         f"{units.fmt(lift.weight_kg, 'lifted', unit)}",
                "source": SOURCE}))
    return [row for _, row in sorted(rows, key=lambda r: r[0], reverse=True)]


def keys_of(key: str, measurements: list[Measurement]) -> dict[str, list[str]]:
    """The store keys (by measurement type, or "lift_sets") an entry's `key` names."""
    kind, _, rest = key.partition("|")
    if kind == "s" and rest:
        return {"lift_sets": [rest]}
    if kind == "w" and rest:
        out: dict[str, list[str]] = {}
        for m in measurements:
            if m.source == SOURCE and m.source_id == rest:
                out.setdefault(m.type, []).append(m.sort_key())
        return out
    raise EntryError("pick an entry of the list")


def since(now: datetime, days: int = 400) -> datetime:
    return now - timedelta(days=days)

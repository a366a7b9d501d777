"""The activities.csv of Strava's "download your data" archive: names, types and manual entries."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from collectors.sources.files.sports import sport_type
from collectors.sources.files.track import ACTIVITY_SOURCE, FileRejected, check_times
from storage.records import Activity

# Strava writes the date in English, in UTC, e.g. "Feb 14, 2024, 7:12:04 AM".
DATE_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%b %d, %Y %I:%M:%S %p", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class ExportRow:
    activity_id: str
    start_time: datetime | None
    name: str
    sport_type: str
    filename: str
    elapsed_time_s: float | None
    moving_time_s: float | None
    distance_m: float | None
    elevation_gain_m: float | None
    average_heartrate_bpm: float | None
    line: int


def _date(text: str) -> datetime | None:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class Export:
    """activities.csv read: its rows, and the lines refused with the reason."""

    rows: list[ExportRow]
    refused: list[tuple[int, str]]


class _BadValue(ValueError):
    pass


def _number(text: str | None, column: str = "") -> float | None:
    """A number as Strava writes it; None when blank or not a number at all (a column another
    export version fills with text), refused when it is NaN, infinite or negative."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        raise _BadValue(f"{column} {text.strip()!r} is not a number of the activity")
    return value


def parse(text: str) -> Export:
    """Rows of activities.csv. Its header repeats some names (a display column, then an SI one):
    the first "Distance" is in the athlete's units (km or mi), the last one in metres.

    A row with a value no activity can have (NaN, infinite) is refused alone: the rest reads."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return Export([], [])
    if "Activity ID" not in header:
        raise FileRejected("activities.csv has no 'Activity ID' column: not a Strava export")

    def first(name: str) -> int | None:
        return header.index(name) if name in header else None

    def last(name: str) -> int | None:
        found = [i for i, h in enumerate(header) if h == name]
        return found[-1] if found else None

    cols = {
        "id": first("Activity ID"),
        "date": first("Activity Date"),
        "name": first("Activity Name"),
        "type": first("Activity Type"),
        "file": first("Filename"),
        "elapsed": first("Elapsed Time"),
        "moving": last("Moving Time"),
        "gain": first("Elevation Gain"),
        "hr": first("Average Heart Rate"),
    }
    distance_cols = [i for i, h in enumerate(header) if h == "Distance"]
    rows: list[ExportRow] = []
    refused: list[tuple[int, str]] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue

        def get(key: str, values: list[str] = values) -> str:
            index = cols[key]
            return values[index].strip() if index is not None and index < len(values) else ""

        try:
            rows.append(_row(values, get, distance_cols, line))
        except _BadValue as exc:
            refused.append((line, f"activities.csv line {line}: {exc}; the row is left out"))
    return Export(rows, refused)


def _row(values: list[str], get: Callable[[str], str], distance_cols: list[int],
         line: int) -> ExportRow:
    distance_m = None
    if len(distance_cols) > 1 and distance_cols[-1] < len(values):
        distance_m = _number(values[distance_cols[-1]], "Distance")
    elif distance_cols and distance_cols[0] < len(values):
        km = _number(values[distance_cols[0]], "Distance")
        distance_m = None if km is None else km * 1000
    return ExportRow(
        activity_id=get("id"),
        start_time=_date(get("date")),
        name=get("name"),
        sport_type=sport_type(get("type")) if get("type") else "",
        filename=get("file"),
        elapsed_time_s=_number(get("elapsed"), "Elapsed Time"),
        moving_time_s=_number(get("moving"), "Moving Time"),
        distance_m=distance_m,
        elevation_gain_m=_number(get("gain"), "Elevation Gain"),
        average_heartrate_bpm=_number(get("hr"), "Average Heart Rate"),
        line=line,
    )


def manual_activity(row: ExportRow, now: datetime) -> Activity:
    """An activity with no file (entered by hand on Strava) from its csv row alone."""
    if row.start_time is None:
        raise FileRejected(f"activities.csv line {row.line}: no readable 'Activity Date'")
    check_times([row.start_time], now)
    key = hashlib.sha256(f"strava-export:{row.activity_id}".encode()).hexdigest()[:20]
    moving = row.moving_time_s if row.moving_time_s is not None else row.elapsed_time_s
    distance = row.distance_m or 0.0
    return Activity(
        id=f"file-{key}",
        source=ACTIVITY_SOURCE,
        start_time=row.start_time,
        sport_type=row.sport_type or "Workout",
        name=row.name or f"{row.sport_type or 'Workout'} {row.start_time:%Y-%m-%d}",
        distance_m=round(distance, 1),
        moving_time_s=round(moving or 0.0),
        elapsed_time_s=round(row.elapsed_time_s or moving or 0.0),
        elevation_gain_m=round(row.elevation_gain_m or 0.0, 1),
        average_speed_mps=round(distance / moving, 3) if moving and distance else None,
        average_heartrate_bpm=row.average_heartrate_bpm,
    )

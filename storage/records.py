"""Record types: what Pulseboard stores, in SI units named in each field, and how each is keyed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, ClassVar

from core import localtime

MEASUREMENT_TYPES = (
    "weight_kg",
    "fat_ratio_pct",
    "fat_mass_kg",
    "fat_free_mass_kg",
    "muscle_mass_kg",
    "bone_mass_kg",
    "hydration_kg",
)


def iso_utc(moment: datetime) -> str:
    """ISO-8601 UTC with a trailing Z and whole seconds: sorts lexically in time order."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: Pulseboard stores times in UTC only")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _coerce(annotation: str, value: Any) -> Any:
    """Gives a stored value back its declared type, so every backend answers alike
    (JSON and DynamoDB do not keep 80.0 apart from 80)."""
    base = annotation.removesuffix(" | None")
    if base == "datetime":
        return parse_iso_utc(value)
    if base == "date":
        return date.fromisoformat(value)
    if base == "float":
        return float(value)
    if base == "int":
        return int(value)
    if base == "list[float]":
        return [float(v) for v in value]
    if base == "list[list[float]]":
        return [[float(v) for v in pair] for pair in value]
    return value


class Record:
    """Common keying for every stored record.

    A record lives in one partition (`kind`, plus `series()` for kinds that hold several
    series, e.g. one per measurement type) under a sort key that starts with its ISO-8601 UTC
    time and ends with the source's own id, so an upsert of the same source record replaces it.
    """

    KIND: ClassVar[str]

    def series(self) -> str:
        return ""

    def sort_key(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = iso_utc(value)
            elif isinstance(value, date):
                value = value.isoformat()
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        kwargs: dict[str, Any] = {}
        hints = {f.name: f.type for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        for name, kind in hints.items():
            if name not in data:
                continue
            value = data[name]
            if value is not None:
                value = _coerce(str(kind), value)
            kwargs[name] = value
        return cls(**kwargs)


@dataclass(frozen=True)
class Measurement(Record):
    """One value from the scale (Withings) or another body-composition source."""

    KIND: ClassVar[str] = "measurements"
    time: datetime
    type: str
    value: float
    source: str
    source_id: str
    # The IANA zone the source says it was taken in (Withings' `timezone` per group); "" on
    # records stored before zones were kept: read as UTC. Shown and bucketed in the owner's zone.
    timezone: str = ""

    def __post_init__(self) -> None:
        if self.type not in MEASUREMENT_TYPES:
            raise ValueError(f"unknown measurement type {self.type!r}; one of {MEASUREMENT_TYPES}")

    def series(self) -> str:
        return self.type

    def sort_key(self) -> str:
        return f"{iso_utc(self.time)}#{self.source}:{self.source_id}"


@dataclass(frozen=True)
class Activity(Record):
    """One activity (any sport) summarised as Strava's SummaryActivity does, in SI units."""

    KIND: ClassVar[str] = "activities"
    id: str
    source: str
    start_time: datetime
    sport_type: str
    name: str = ""
    distance_m: float = 0.0
    moving_time_s: float = 0.0
    elapsed_time_s: float = 0.0
    elevation_gain_m: float = 0.0
    average_speed_mps: float | None = None
    max_speed_mps: float | None = None
    average_heartrate_bpm: float | None = None
    summary_polyline: str | None = None
    # A leg of a multisport event (a triathlon's swim, bike, run): the legs share `event_id`,
    # `leg` counts from 1 to `legs`. A single-sport activity is no event: "", 0, 0.
    event_id: str = ""
    leg: int = 0
    legs: int = 0
    # Provenance beyond `source`: the other ways the same activity reached the store, comma
    # separated ("file" when the owner's own file or Strava export brought it too). Strava's API
    # agreement forbids training models on what only its API gave; a file's copy may be used.
    also_from: str = ""
    # Where it happened: the IANA zone (Strava's `timezone`) and/or the UTC offset in seconds at
    # its start (Strava's start_date_local, FIT's local timestamp, a GPX/TCX time's offset). An
    # activity belongs to the local day it happened on there. Neither (older records): UTC.
    timezone: str = ""
    utc_offset_s: int | None = None

    def sort_key(self) -> str:
        return f"{iso_utc(self.start_time)}#{self.source}:{self.id}"

    def zone(self) -> tzinfo:
        """The zone it was recorded in: its name, else its offset, else UTC."""
        return localtime.record_zone(self.timezone, self.utc_offset_s)

    def local_start(self) -> datetime:
        """The start on the clock where it happened."""
        return self.start_time.astimezone(self.zone())

    def local_date(self) -> date:
        """The day it happened on where it happened (a run in Tokyo is on Tokyo's date)."""
        return self.local_start().date()


@dataclass(frozen=True)
class ActivityStream(Record):
    """Per-sample series of one activity, for the session graph and the map."""

    KIND: ClassVar[str] = "streams"
    activity_id: str
    time_s: list[float] = field(default_factory=list)
    distance_m: list[float] = field(default_factory=list)
    altitude_m: list[float] = field(default_factory=list)
    velocity_mps: list[float] = field(default_factory=list)
    heartrate_bpm: list[float] | None = None
    latlng: list[list[float]] | None = None

    def sort_key(self) -> str:
        # Streams are read by activity id, never by time range.
        return self.activity_id


@dataclass(frozen=True)
class LiftSet(Record):
    """One set from the crossfit log: the sheet row it came from is kept for error reports."""

    KIND: ClassVar[str] = "lift_sets"
    date: date
    exercise: str
    set_index: int
    reps: int
    weight_kg: float
    source_row: int

    def sort_key(self) -> str:
        # Keyed by what the set is, not by its row: inserting a row above must not duplicate it.
        return f"{self.date.isoformat()}T00:00:00Z#{self.exercise.casefold()}#{self.set_index:03d}"


@dataclass(frozen=True)
class Rejected(Record):
    """Input that could not be read, quarantined with the reason and the raw value."""

    KIND: ClassVar[str] = "rejected"
    source: str
    ref: str
    reason: str
    raw: str
    seen_at: datetime

    def sort_key(self) -> str:
        # One entry per (source, ref): seeing the same bad row again updates it.
        return f"{self.source}#{self.ref}"


RECORD_TYPES: dict[str, type[Record]] = {
    cls.KIND: cls for cls in (Measurement, Activity, ActivityStream, LiftSet, Rejected)
}

"""A recorded track: samples as compact columns, plus the totals the device computed itself."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from collectors.parsing import ParseError

# The source's one name: quarantine, sync status, the registry.
SOURCE = "files"
# An imported activity's provenance (Activity.source), part of its key: stored activities keep it.
ACTIVITY_SOURCE = "file"
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# A device clock a few minutes ahead is not a future activity.
CLOCK_SKEW = timedelta(minutes=10)
ABSENT = math.nan
SERIES = ("lat", "lon", "altitude_m", "distance_m", "speed_mps", "heartrate_bpm")
# Every column of a track, the segment number included.
COLUMNS = ("t_s", *SERIES, "segment")


class FileRejected(ParseError):
    """The file is not a usable activity; the message says why and what to do."""


def _column() -> array[float]:
    return array("d")


@dataclass
class Track:
    """Samples as parallel columns of 8-byte floats (NaN where a sample lacks a value: a
    60 MB file's points must fit in a Lambda, not as one Python object per value), and the
    file's own totals. Times are seconds since the Unix epoch."""

    fmt: str
    t_s: array[float] = field(default_factory=_column)
    lat: array[float] = field(default_factory=_column)
    lon: array[float] = field(default_factory=_column)
    altitude_m: array[float] = field(default_factory=_column)
    distance_m: array[float] = field(default_factory=_column)
    speed_mps: array[float] = field(default_factory=_column)
    heartrate_bpm: array[float] = field(default_factory=_column)
    # Which recording segment each sample is in (a GPX <trkseg>; a new <trk> starts one too):
    # nothing was recorded between two segments, so no distance or time is counted across.
    segment: array[float] = field(default_factory=_column)
    sport: str | None = None
    sub_sport: str | None = None
    name: str = ""
    # Totals the device computed itself (FIT session, TCX laps) win over ones derived here.
    start_time: datetime | None = None
    total_distance_m: float | None = None
    moving_time_s: float | None = None
    elapsed_time_s: float | None = None
    elevation_gain_m: float | None = None
    average_speed_mps: float | None = None
    max_speed_mps: float | None = None
    average_heartrate_bpm: float | None = None

    # Track points the file holds without a time (a planned route's points): not samples.
    untimed: int = 0
    _segment: int = field(default=0, repr=False)

    def __len__(self) -> int:
        return len(self.t_s)

    def new_segment(self) -> None:
        """The samples added from now on follow a gap in the recording."""
        if len(self) and self.segment[-1] == self._segment:
            self._segment += 1

    def add(
        self,
        time: datetime,
        lat: float | None = None,
        lon: float | None = None,
        altitude_m: float | None = None,
        distance_m: float | None = None,
        speed_mps: float | None = None,
        heartrate_bpm: float | None = None,
    ) -> None:
        if time.tzinfo is None:  # GPX/TCX times without an offset are UTC by their schemas
            time = time.replace(tzinfo=UTC)
        self.t_s.append(time.timestamp())
        self.lat.append(_num(lat))
        self.lon.append(_num(lon))
        self.altitude_m.append(_num(altitude_m))
        self.distance_m.append(_num(distance_m))
        self.speed_mps.append(_num(speed_mps))
        # Devices without a heart-rate sensor (Zwift without a strap, OpenTracks) write 0.
        heart = _num(heartrate_bpm)
        self.heartrate_bpm.append(heart if heart > 0 else ABSENT)
        self.segment.append(self._segment)

    def first_time(self) -> datetime:
        return datetime.fromtimestamp(min(self.t_s), UTC)

    def last_time(self) -> datetime:
        return datetime.fromtimestamp(max(self.t_s), UTC)


def _num(value: object) -> float:
    if value is None or isinstance(value, bool):
        return ABSENT
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ABSENT
    return number if math.isfinite(number) else ABSENT


def check_times(times: list[datetime], now: datetime) -> None:
    first, last = min(times), max(times)
    if first < EARLIEST:
        raise FileRejected(
            f"timestamps start on {first:%Y-%m-%d}, before 1990: the device clock was not set; "
            "fix the times in the file or re-export it"
        )
    if last > now + CLOCK_SKEW:
        raise FileRejected(
            f"timestamps run to {last:%Y-%m-%d %H:%M} UTC, in the future: the device clock was "
            "wrong; fix the times in the file or re-export it"
        )

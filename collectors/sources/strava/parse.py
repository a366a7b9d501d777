"""Strava's answers read (pure): activity pages, streams and the rate-limit headers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import polyline

from collectors.common import raw_text
from collectors.parsing import Parsed, ParseError
from collectors.sports import RUN_SPORTS
from core import localtime
from storage.records import Activity, ActivityStream, Rejected, parse_iso_utc

SOURCE = "strava"


def _int64_id(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise ParseError(f"id {value!r} is not a whole number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value.strip()))
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    raise ParseError(f"id {value!r} is not a whole number")


def _number(raw: dict[str, Any], name: str, default: float | None) -> float | None:
    value = raw.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ParseError(f"{name} {value!r} is not a number") from None
    number = float(value)
    if not math.isfinite(number):
        raise ParseError(f"{name} {value!r} is not a finite number")
    return number


def _polyline(raw: dict[str, Any]) -> str | None:
    # `map` is missing on manual activities and summary_polyline null on trainer/private ones.
    summary = (raw.get("map") or {}).get("summary_polyline")
    if not summary:
        return None
    if not isinstance(summary, str):
        raise ParseError(f"map.summary_polyline {summary!r} is not a string")
    try:
        points = polyline.decode(summary, 5)
    except (IndexError, ValueError, TypeError):
        raise ParseError("map.summary_polyline is not a valid encoded polyline") from None
    if any(abs(lat) > 90 or abs(lon) > 180 for lat, lon in points):
        raise ParseError("map.summary_polyline decodes to points outside the globe")
    return summary


def parse_activity(raw: Any) -> Activity:
    """One SummaryActivity (a dict as the API sends it) as an Activity; ParseError if unusable."""
    if not isinstance(raw, dict):
        raise ParseError(f"activity is a {type(raw).__name__}, not an object")
    activity_id = _int64_id(raw.get("id"))
    start = raw.get("start_date")
    if not isinstance(start, str):
        raise ParseError(f"start_date {start!r} is missing or not a string")
    try:
        start_time = parse_iso_utc(start)
    except ValueError:
        raise ParseError(f"start_date {start!r} is not an ISO-8601 time") from None
    sport_type = raw.get("sport_type") or raw.get("type")
    if not isinstance(sport_type, str) or not sport_type:
        raise ParseError("neither sport_type nor type is given")
    return Activity(
        id=activity_id,
        source=SOURCE,
        start_time=start_time,
        sport_type=sport_type,
        name=str(raw.get("name") or ""),
        distance_m=_number(raw, "distance", 0.0) or 0.0,
        moving_time_s=_number(raw, "moving_time", 0.0) or 0.0,
        elapsed_time_s=_number(raw, "elapsed_time", 0.0) or 0.0,
        elevation_gain_m=_number(raw, "total_elevation_gain", 0.0) or 0.0,
        average_speed_mps=_number(raw, "average_speed", None),
        max_speed_mps=_number(raw, "max_speed", None),
        average_heartrate_bpm=_number(raw, "average_heartrate", None),
        summary_polyline=_polyline(raw),
        **_zone(raw, start_time),
    )


def _zone(raw: dict[str, Any], start_time: datetime) -> dict[str, Any]:
    """Where the activity happened: `timezone` ("(GMT-08:00) America/Los_Angeles") gives the
    IANA name, `start_date_local` (the local clock written with a Z) minus `start_date` the
    offset. Either may be missing or odd; the activity is kept with what can be read."""
    found: dict[str, Any] = {}
    label = raw.get("timezone")
    if isinstance(label, str) and label.strip():
        name = label.rsplit(")", 1)[-1].strip()
        try:
            found["timezone"] = localtime.zone(name).key
        except localtime.ZoneError:
            pass
    local_text = raw.get("start_date_local")
    if isinstance(local_text, str):
        try:
            local_clock = datetime.fromisoformat(local_text.replace("Z", "")).replace(tzinfo=None)
        except ValueError:
            local_clock = None
        if local_clock is not None:
            offset_s = round((local_clock - start_time.replace(tzinfo=None)).total_seconds())
            if abs(offset_s) <= 14 * 3600:
                found["utc_offset_s"] = offset_s
    if "utc_offset_s" not in found:
        offset = raw.get("utc_offset")
        if isinstance(offset, int | float) and not isinstance(offset, bool) \
                and abs(offset) <= 14 * 3600:
            found["utc_offset_s"] = int(offset)
    return found


def wants_streams(raw: dict[str, Any]) -> bool:
    """Runs recorded by a device have streams; manual entries have none to fetch."""
    sport = raw.get("sport_type") or raw.get("type")
    return sport in RUN_SPORTS and not raw.get("manual")


def reject_ref(raw: Any, index: int) -> str:
    if isinstance(raw, dict) and raw.get("id") is not None:
        return f"activity {raw.get('id')}"
    return f"activity at index {index}"


@dataclass
class Page(Parsed[Activity]):
    """One page of the activity list: its activities, the runs among them whose streams to
    fetch, and how many items it held (a short page is the last)."""

    stream_ids: list[str] = field(default_factory=list)
    size: int = 0


def parse_activities(payload: Any, now: datetime) -> Page:
    """One page of GET /athlete/activities: activities, plus a Rejected for each unusable one."""
    if not isinstance(payload, list):
        raise ParseError(f"expected a list of activities, got a {type(payload).__name__}")
    page = Page(size=len(payload))
    for index, raw in enumerate(payload):
        try:
            activity = parse_activity(raw)
        except ParseError as exc:
            page.rejected.append(
                Rejected(SOURCE, reject_ref(raw, index), str(exc), raw_text(raw), now)
            )
            continue
        page.records.append(activity)
        if wants_streams(raw):
            page.stream_ids.append(activity.id)
    return page


_STREAM_FIELDS = {
    "time": "time_s",
    "distance": "distance_m",
    "altitude": "altitude_m",
    "velocity_smooth": "velocity_mps",
    "heartrate": "heartrate_bpm",
    "latlng": "latlng",
}
STREAM_KEYS = ("time", "distance", "latlng", "altitude", "velocity_smooth", "heartrate")


def _stream_map(payload: Any) -> dict[str, list[Any]]:
    """Both shapes Strava answers with: keyed by type (key_by_type=true) or a list of streams."""
    if isinstance(payload, dict):
        items = [(name, body) for name, body in payload.items()]
    elif isinstance(payload, list):
        items = [((body or {}).get("type"), body) for body in payload if isinstance(body, dict)]
    else:
        raise ParseError(f"streams: expected an object or a list, got {type(payload).__name__}")
    out: dict[str, list[Any]] = {}
    for name, body in items:
        if name not in _STREAM_FIELDS:
            continue
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise ParseError(f"stream {name!r} has no data list")
        out[str(name)] = data
    return out


def _filled(name: str, data: list[Any], pair: bool) -> list[Any] | None:
    """Sensors drop samples (a heart-rate strap losing contact): a gap (null) takes the last
    value seen, the first one for a leading gap. A series with no values at all is absent."""
    try:
        values = np.array([v if v is not None else _GAP[pair] for v in data], dtype=float)
        if values.ndim != (2 if pair else 1) or (pair and values.shape[1] != 2):
            raise ValueError
    except (TypeError, ValueError):
        raise ParseError(f"stream {name!r}: {_first_bad(data, pair)}") from None
    if np.isinf(values).any():
        raise ParseError(f"stream {name!r}: a sample is infinite")
    gaps = np.isnan(values).any(axis=1) if pair else np.isnan(values)
    if gaps.all():
        return None
    if gaps.any():
        index = np.where(~gaps, np.arange(len(values)), 0)
        np.maximum.accumulate(index, out=index)
        first = int(np.argmax(~gaps))
        index[: first] = first
        values = values[index]
    return values.tolist()


_GAP = {False: math.nan, True: [math.nan, math.nan]}


def _first_bad(data: list[Any], pair: bool) -> str:
    for index, value in enumerate(data):
        if value is None:
            continue
        ok = (isinstance(value, list | tuple) and len(value) == 2
              and all(isinstance(x, int | float) for x in value)) if pair \
            else isinstance(value, int | float)
        if not ok:
            return f"sample {index} is {value!r}, not a {'[lat, lng] pair' if pair else 'number'}"
    return "the samples are not numbers"


def parse_streams(activity_id: str, payload: Any) -> ActivityStream:
    """GET /activities/{id}/streams as an ActivityStream; ParseError if unusable."""
    streams = _stream_map(payload)
    if "time" not in streams:
        raise ParseError("streams: no time stream")
    series: dict[str, Any] = {}
    for name, data in streams.items():
        series[_STREAM_FIELDS[name]] = _filled(name, data, pair=name == "latlng")
    if series["time_s"] is None:
        raise ParseError("streams: the time stream is empty")
    size = len(series["time_s"])
    uneven = {n: len(v) for n, v in series.items() if v is not None and len(v) != size}
    if uneven:
        detail = ", ".join(f"{n} {k}" for n, k in sorted(uneven.items()))
        raise ParseError(f"streams: time has {size} samples but {detail}")
    return ActivityStream(
        activity_id=activity_id,
        time_s=series["time_s"],
        distance_m=series.get("distance_m") or [],
        altitude_m=series.get("altitude_m") or [],
        velocity_mps=series.get("velocity_mps") or [],
        heartrate_bpm=series.get("heartrate_bpm"),
        latlng=series.get("latlng"),
    )


@dataclass(frozen=True)
class Usage:
    """One `X-*RateLimit-*` header pair: limits and usage for (15 minutes, day)."""

    limit_15min: int
    limit_day: int
    usage_15min: int
    usage_day: int


def _pair(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        return None
    try:
        return int(parts[0]), int(parts[1])
    except ValueError:
        return None


def parse_rate_limits(headers: Any) -> dict[str, Usage]:
    """{"overall": Usage, "read": Usage} from the headers that carry them (either may be absent)."""
    out = {}
    for name, prefix in (("overall", "X-RateLimit"), ("read", "X-ReadRateLimit")):
        limit = _pair(headers.get(f"{prefix}-Limit"))
        usage = _pair(headers.get(f"{prefix}-Usage"))
        if limit and usage:
            out[name] = Usage(limit[0], limit[1], usage[0], usage[1])
    return out

"""FIT activity files (Garmin, Wahoo, Coros, …) read with fitdecode: one Track per leg."""

from __future__ import annotations

import io
import math
from array import array
from datetime import UTC, datetime
from typing import Any

import fitdecode
import numpy as np

from collectors.sources.files.track import COLUMNS, FileRejected, Track

SEMICIRCLE_DEG = 180.0 / 2**31
FIT_FILE_TYPES_OK = ("activity", None)
# A multisport file's session between two legs (changing shoes, mounting the bike).
TRANSITION = "transition"


def looks_like(data: bytes) -> bool:
    return len(data) >= 12 and data[8:12] == b".FIT"


def _deg(semicircles: Any) -> float | None:
    return None if semicircles is None else float(semicircles) * SEMICIRCLE_DEG


def _first(values: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = values.get(name)
        if value is not None:
            return value
    return None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def parse(data: bytes) -> list[Track]:
    """Samples from `record` messages, totals from `session` messages: one Track, or one per
    leg of a multisport or chained file (see legs)."""
    return parse_with_offset(data)[0]


def utc_offset_s(activity: dict[str, Any]) -> int | None:
    """The device's clock offset from the `activity` message (local_timestamp − timestamp), to
    the quarter hour; None when absent or not a real offset (a clock never set says 1989)."""
    stamp, local_stamp = activity.get("timestamp"), activity.get("local_timestamp")
    if not isinstance(stamp, datetime) or not isinstance(local_stamp, datetime):
        return None
    seconds = (local_stamp.replace(tzinfo=None) - stamp.replace(tzinfo=None)).total_seconds()
    if abs(seconds) > 14 * 3600:
        return None
    return round(seconds / 900) * 900


def parse_with_offset(data: bytes) -> tuple[list[Track], int | None]:
    """The tracks, and the UTC offset the device's clock was set to (None when it says none)."""
    if not looks_like(data):
        raise FileRejected("not a FIT file (no '.FIT' signature in its header)")
    track = Track(fmt="fit")
    undated = 0
    sessions: list[dict[str, Any]] = []
    activity: dict[str, Any] = {}
    try:
        # CRC checked: a truncated or damaged file must be refused, not half-imported.
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.IGNORE,
        ) as reader:
            for frame in reader:
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                name = frame.name
                if name not in ("record", "session", "file_id", "sport", "activity"):
                    continue
                values = {f.name: f.value for f in frame.fields}
                if name == "record":
                    moment = values.get("timestamp")
                    if not isinstance(moment, datetime):
                        # Values below 0x10000000 are seconds since power-on, not dates.
                        undated += moment is not None
                        continue
                    track.add(
                        moment,
                        lat=_deg(values.get("position_lat")),
                        lon=_deg(values.get("position_long")),
                        altitude_m=_first(values, "enhanced_altitude", "altitude"),
                        distance_m=values.get("distance"),
                        speed_mps=_first(values, "enhanced_speed", "speed"),
                        heartrate_bpm=values.get("heart_rate"),
                    )
                elif name == "session":
                    sessions.append(values)
                elif name == "activity":
                    activity = values
                elif name == "file_id":
                    kind = values.get("type")
                    if kind not in FIT_FILE_TYPES_OK:
                        raise FileRejected(
                            f"a FIT {kind} file, not a recorded activity: import the activity "
                            "file the device saved after the workout"
                        )
                elif name == "sport" and track.sport is None:
                    track.sport, track.sub_sport = values.get("sport"), values.get("sub_sport")
    except fitdecode.FitEOFError:
        raise FileRejected(
            "truncated FIT file (it ends before its declared size): copy it from the device again"
        ) from None
    except fitdecode.FitCRCError:
        raise FileRejected(
            "corrupt FIT file (checksum mismatch): copy it from the device again"
        ) from None
    except (fitdecode.FitError, ValueError, KeyError, IndexError, TypeError) as exc:
        if isinstance(exc, FileRejected):
            raise
        raise FileRejected(f"unreadable FIT file ({exc}): copy it from the device again") from None
    if undated and not len(track):
        raise FileRejected(
            "timestamps are not dates but time since the device was switched on (before 1990): "
            "its clock was not set; set it and record again, or fix the file"
        )
    legs = [s for s in sessions if s.get("sport") != TRANSITION]
    if len(legs) > 1:
        return split_legs(track, sessions), utc_offset_s(activity)
    if sessions:
        _apply_sessions(track, sessions)
    return [track], utc_offset_s(activity)


def _apply_sessions(track: Track, sessions: list[dict[str, Any]]) -> None:
    first = sessions[0]
    track.sport = first.get("sport") or track.sport
    track.sub_sport = first.get("sub_sport") or track.sub_sport
    if isinstance(first.get("start_time"), datetime):
        track.start_time = first["start_time"]

    def total(*names: str) -> float | None:
        found = [_float(_first(s, *names)) for s in sessions]
        present = [v for v in found if v is not None]
        return sum(present) if present else None

    track.total_distance_m = total("total_distance")
    track.moving_time_s = total("total_timer_time")
    track.elapsed_time_s = total("total_elapsed_time")
    track.elevation_gain_m = total("total_ascent")
    if len(sessions) == 1:
        track.average_speed_mps = _float(_first(first, "enhanced_avg_speed", "avg_speed"))
        track.max_speed_mps = _float(_first(first, "enhanced_max_speed", "max_speed"))
        # 0 is what a device without a heart-rate sensor writes: no average, not a zero one.
        track.average_heartrate_bpm = _float(first.get("avg_heart_rate")) or None


def _end_s(session: dict[str, Any]) -> float:
    end = session.get("timestamp")
    if isinstance(end, datetime):
        return end.timestamp()
    start = session.get("start_time")
    elapsed = _float(session.get("total_elapsed_time")) or 0.0
    return start.timestamp() + elapsed if isinstance(start, datetime) else math.inf


def split_legs(track: Track, sessions: list[dict[str, Any]]) -> list[Track]:
    """One Track per leg of a multisport (or chained) file, transitions folded away.

    A leg holds the samples recorded after the previous session ended, up to its own end: its
    `start_time` may be later than its first sample (a fenix writes the time the leg's sport
    was chosen, not when recording began), and each leg's distance counter starts again.
    """
    ordered = sorted(sessions, key=_end_s)
    t = np.frombuffer(track.t_s, dtype=float)
    out: list[Track] = []
    previous_end = -math.inf
    for session in ordered:
        end = _end_s(session)
        inside = np.flatnonzero((t > previous_end) & (t <= end))
        previous_end = end
        if session.get("sport") == TRANSITION:
            continue
        leg = Track(fmt=track.fmt, sport=track.sport, sub_sport=track.sub_sport)
        for name in COLUMNS:
            column = np.frombuffer(getattr(track, name), dtype=float)[inside]
            setattr(leg, name, array("d", column.tobytes()))
        _apply_sessions(leg, [session])
        first = datetime.fromtimestamp(float(t[inside].min()), UTC) if len(inside) else None
        if first is not None and leg.start_time is not None and first < leg.start_time:
            leg.start_time = first
        out.append(leg)
    return out

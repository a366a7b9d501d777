"""FIT files written with fit-tool, an encoder independent of the reader under test."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

fit_tool = pytest.importorskip("fit_tool", reason="fit-tool (a dev dependency) writes these files")

from fit_tool.fit_file_builder import FitFileBuilder  # noqa: E402
from fit_tool.profile.messages.activity_message import ActivityMessage  # noqa: E402
from fit_tool.profile.messages.event_message import EventMessage  # noqa: E402
from fit_tool.profile.messages.file_id_message import FileIdMessage  # noqa: E402
from fit_tool.profile.messages.record_message import RecordMessage  # noqa: E402
from fit_tool.profile.messages.session_message import SessionMessage  # noqa: E402
from fit_tool.profile.profile_type import (  # noqa: E402
    Event,
    EventType,
    FileType,
    Manufacturer,
    Sport,
    SubSport,
)


@dataclass
class Leg:
    """One session: `n` samples at `step_s` and `speed_mps` along a line heading north-east."""

    sport: str
    start: datetime
    n: int = 120
    step_s: float = 5.0
    speed_mps: float = 3.0
    heart_rate: int | None = 140
    altitude_m: list[float] | None = None
    sub_sport: str = "generic"
    origin: tuple[float, float] = (48.85, 2.35)
    # Samples recorded before the session's start_time says the leg began (a fenix does this).
    early: int = 0
    # Positions that are not on the line (a GPS fix gone wild), by sample index.
    fixes: dict[int, tuple[float, float]] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict)

    @property
    def distance_m(self) -> float:
        return self.speed_mps * self.step_s * (self.n - 1)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.step_s * (self.n - 1))


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def fit_file(legs: list[Leg]) -> bytes:
    """An activity file with one session per leg; each leg's distance counter starts at 0."""
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.serial_number = 0x12345678
    file_id.time_created = _ms(legs[0].start)
    builder.add(file_id)
    start = EventMessage()
    start.event, start.event_type = Event.TIMER, EventType.START
    start.timestamp = _ms(legs[0].start)
    builder.add(start)
    sessions = []
    for leg in legs:
        for i in range(-leg.early, leg.n):
            record = RecordMessage()
            moment = leg.start + timedelta(seconds=leg.step_s * i)
            metres = leg.speed_mps * leg.step_s * (i + leg.early)
            record.timestamp = _ms(moment)
            lat, lon = leg.fixes.get(i, (leg.origin[0] + metres / 111_000 / math.sqrt(2),
                                         leg.origin[1] + metres / 73_000 / math.sqrt(2)))
            record.position_lat, record.position_long = lat, lon
            record.distance = metres
            record.speed = leg.speed_mps
            if leg.altitude_m is not None:
                record.altitude = leg.altitude_m[i + leg.early]
            if leg.heart_rate is not None:
                record.heart_rate = leg.heart_rate
            builder.add(record)
        session = SessionMessage()
        session.timestamp = _ms(leg.end)
        session.start_time = _ms(leg.start)
        session.sport = Sport[leg.sport.upper()]
        session.sub_sport = SubSport[leg.sub_sport.upper()]
        elapsed = leg.step_s * (leg.n - 1)
        session.total_elapsed_time = leg.totals.get("elapsed", elapsed)
        session.total_timer_time = leg.totals.get("timer", elapsed)
        session.total_distance = leg.totals.get("distance", leg.distance_m)
        if "ascent" in leg.totals:
            session.total_ascent = round(leg.totals["ascent"])
        if leg.heart_rate is not None:
            session.avg_heart_rate = leg.heart_rate
        sessions.append(session)
    stop = EventMessage()
    stop.event, stop.event_type = Event.TIMER, EventType.STOP_ALL
    stop.timestamp = _ms(legs[-1].end)
    builder.add(stop)
    builder.add_all(sessions)
    activity = ActivityMessage()
    activity.timestamp = _ms(legs[-1].end)
    activity.num_sessions = len(legs)
    builder.add(activity)
    return builder.build().to_bytes()

"""core.localtime: a UTC instant lands on the local day and ISO week its zone's calendar says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import localtime
from core.localtime import ZoneError

ZONES = ["America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Kiritimati",
         "America/St_Johns", "Europe/Paris", "UTC"]
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31),
                       timezones=st.just(UTC))


def test_the_issue_s_weigh_in_is_on_the_evening_before_in_los_angeles() -> None:
    tz = localtime.zone("America/Los_Angeles")
    moment = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)
    assert localtime.local_date(moment, tz) == date(2026, 11, 29)
    assert localtime.fmt_datetime(moment, tz) == "29 Nov 2026, 22:30 PST"
    assert localtime.week_start(localtime.local_date(moment, tz)) == date(2026, 11, 23)


def test_abbreviations_and_offsets() -> None:
    moment = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)
    assert localtime.fmt_datetime(moment, localtime.zone("Asia/Kolkata")) == \
        "30 Nov 2026, 12:00 IST"
    assert localtime.fmt_datetime(moment, localtime.zone("Pacific/Kiritimati")) == \
        "30 Nov 2026, 20:30 UTC+14:00"
    assert localtime.fmt_datetime(moment, localtime.zone("America/St_Johns")) == \
        "30 Nov 2026, 03:00 NST"
    assert localtime.fmt_datetime(moment, localtime.zone(None)) == "30 Nov 2026, 06:30 UTC"
    assert localtime.fmt_date(date(2026, 3, 1)) == "1 Mar 2026"


def test_an_unknown_zone_says_what_a_zone_name_looks_like() -> None:
    with pytest.raises(ZoneError, match="'Mars/Olympus'.*Europe/Paris"):
        localtime.zone("Mars/Olympus")
    with pytest.raises(ZoneError):
        localtime.zone("../../etc/passwd")


def test_spring_forward_a_weigh_in_at_02_30_that_does_not_exist_still_has_a_day() -> None:
    # 8 Mar 2026, Los Angeles: clocks jump 02:00 -> 03:00; 10:30Z is 03:30 PDT that morning.
    tz = localtime.zone("America/Los_Angeles")
    assert localtime.local_date(datetime(2026, 3, 8, 10, 30, tzinfo=UTC), tz) == date(2026, 3, 8)
    start, end = localtime.day_bounds_utc(date(2026, 3, 8), date(2026, 3, 8), tz)
    assert end - start == timedelta(hours=23)


def test_fall_back_two_weigh_ins_at_01_30_are_both_on_that_day() -> None:
    # 1 Nov 2026, Los Angeles: 01:30 happens twice, at 08:30Z (PDT) and 09:30Z (PST).
    tz = localtime.zone("America/Los_Angeles")
    first, second = (datetime(2026, 11, 1, h, 30, tzinfo=UTC) for h in (8, 9))
    assert localtime.local_date(first, tz) == localtime.local_date(second, tz) == date(2026, 11, 1)
    assert localtime.fmt_datetime(first, tz) == "1 Nov 2026, 01:30 PDT"
    assert localtime.fmt_datetime(second, tz) == "1 Nov 2026, 01:30 PST"
    start, end = localtime.day_bounds_utc(date(2026, 11, 1), date(2026, 11, 1), tz)
    assert end - start == timedelta(hours=25)


def test_lord_howe_moves_half_an_hour() -> None:
    tz = localtime.zone("Australia/Lord_Howe")
    winter = datetime(2026, 7, 1, tzinfo=UTC)
    summer = datetime(2026, 1, 1, tzinfo=UTC)
    assert (localtime.local(summer, tz).utcoffset() or timedelta()) - \
        (localtime.local(winter, tz).utcoffset() or timedelta()) == timedelta(minutes=30)


@given(moments, st.sampled_from(ZONES))
def test_the_day_and_week_are_the_local_calendar_s(moment: datetime, name: str) -> None:
    tz = localtime.zone(name)
    day = localtime.local_date(moment, tz)
    # The local clock's own reading, independent of how local_date gets there.
    wall = moment + (moment.astimezone(tz).utcoffset() or timedelta())
    assert day == wall.date()
    assert localtime.week_start(day).isocalendar()[:2] == day.isocalendar()[:2]
    assert localtime.week_start(day).weekday() == 0
    start, end = localtime.day_bounds_utc(day, day, tz)
    assert start <= moment < end


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 30)), st.sampled_from(ZONES))
def test_consecutive_days_tile_time_with_no_gap(day: date, name: str) -> None:
    tz = localtime.zone(name)
    _, end = localtime.day_bounds_utc(day, day, tz)
    start_next, _ = localtime.day_bounds_utc(day + timedelta(days=1), day + timedelta(days=1), tz)
    assert end == start_next
    assert timedelta(hours=22) <= end - localtime.day_start_utc(day, tz) <= timedelta(hours=26)


def test_a_naive_time_is_read_as_utc() -> None:
    tz = localtime.zone("Asia/Kolkata")
    assert localtime.local_date(datetime(2026, 11, 30, 20, 0), tz) == date(2026, 12, 1)


def test_record_zone_name_else_offset_else_utc() -> None:
    assert localtime.record_zone("Asia/Tokyo") == localtime.zone("Asia/Tokyo")
    assert localtime.record_zone(None, 9 * 3600) == timezone(timedelta(hours=9))
    assert localtime.record_zone("not a zone", None) == localtime.UTC_ZONE
    assert localtime.record_zone(None) == localtime.UTC_ZONE


def test_system_zone_from_the_localtime_link(tmp_path: Path) -> None:
    target = tmp_path / "zoneinfo" / "Europe" / "Paris"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"")
    link = tmp_path / "localtime"
    link.symlink_to(target)
    assert localtime.system_zone_name(link) == "Europe/Paris"
    assert localtime.system_zone_name(tmp_path / "missing") is None

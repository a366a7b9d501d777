"""The model's training weeks on the owner's calendar: each weigh-in in its local day and week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core import localtime
from models import features
from models.features import ForecastConfig, build_weeks, daily_means
from storage import Activity

ZONES = ["America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Kiritimati",
         "America/St_Johns", "UTC"]
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(UTC))


@given(st.lists(moments, min_size=1, max_size=30), st.sampled_from(ZONES))
@settings(max_examples=60)
def test_each_weigh_in_counts_on_its_local_day(times: list[datetime], name: str) -> None:
    tz = localtime.zone(name)
    means = daily_means([(t, 80.0) for t in times], tz)
    expected = {(t + (t.astimezone(tz).utcoffset() or timedelta())).date() for t in times}
    assert set(means) == expected


def test_the_issue_s_evening_weigh_in_closes_the_los_angeles_week() -> None:
    la = ForecastConfig(timezone="America/Los_Angeles")
    # Mon 16 - Sun 22 Nov and Mon 23 - Sun 29 Nov 2026, three weigh-ins each at 06:30Z, which is
    # 22:30 the evening before in Los Angeles: in UTC the last one opens the next week.
    weights = [(datetime(2026, 11, d, 6, 30, tzinfo=UTC), v) for d, v in
               [(18, 82.0), (20, 82.0), (23, 82.0), (25, 81.0), (27, 81.0), (30, 81.0)]]
    weeks = build_weeks(weights, weights, [], [], today=date(2026, 12, 7), min_days=3, config=la)
    assert [w.start for w in weeks] == [date(2026, 11, 16), date(2026, 11, 23)]
    assert weeks[1].weight_mean_kg == 81.0 and weeks[1].weight_kg == -1.0
    in_utc = build_weeks(weights, weights, [], [], today=date(2026, 12, 7), min_days=3)
    assert in_utc[1].weight_kg != -1.0  # the UTC split is what the issue complained of


def test_a_run_in_tokyo_counts_in_the_week_of_tokyo_s_date() -> None:
    # Sunday 29 Nov 23:30 in Tokyo is 14:30Z: still Sunday for Tokyo, Monday nowhere.
    run = Activity("r", "file", datetime(2026, 11, 29, 14, 30, tzinfo=UTC), "Run",
                   distance_m=10_000, moving_time_s=3000, timezone="Asia/Tokyo")
    weights = [(datetime(2026, 11, d, 15, 0, tzinfo=UTC), 80.0) for d in range(16, 30)]
    weeks = build_weeks(weights, weights, [run], [], today=date(2026, 12, 7), min_days=3,
                        config=ForecastConfig(timezone="Europe/London"))
    assert {w.start: w.distance_km for w in weeks}[date(2026, 11, 23)] == 10.0


def test_the_zone_comes_from_the_settings_at_the_edge() -> None:
    class Current:
        forecast_use_strava_api = False
        timezone = "Asia/Kolkata"

    assert features.forecast_config(Current()).tz == localtime.zone("Asia/Kolkata")


def test_dst_change_days_in_los_angeles() -> None:
    tz = localtime.zone("America/Los_Angeles")
    # Fall back, 1 Nov 2026: 01:30 PDT (08:30Z) and 01:30 PST (09:30Z) are one day's two readings.
    fall = daily_means([(datetime(2026, 11, 1, 8, 30, tzinfo=UTC), 80.0),
                        (datetime(2026, 11, 1, 9, 30, tzinfo=UTC), 81.0)], tz)
    assert fall == {date(2026, 11, 1): 80.5}
    # Spring forward, 8 Mar 2026: a scale that says 02:30 meant 03:30 PDT (10:30Z), same day;
    # the 23-hour day's last minute (06:59Z on the 9th) is still the 8th.
    spring = daily_means([(datetime(2026, 3, 8, 10, 30, tzinfo=UTC), 80.0),
                          (datetime(2026, 3, 9, 6, 59, tzinfo=UTC), 82.0)], tz)
    assert spring == {date(2026, 3, 8): 81.0}

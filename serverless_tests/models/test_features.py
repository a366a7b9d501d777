"""Weekly features and targets on hand-made weeks whose answers are worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from models import features
from models.features import Week, build_weeks, daily_means, monday, weekly_means
from storage import Activity, LiftSet, Measurement

MON = date(2024, 3, 4)  # a Monday


def at(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def days(first: date, values: list[float | None]) -> list[tuple[datetime, float]]:
    return [(at(first + timedelta(days=i)), v) for i, v in enumerate(values) if v is not None]


def run(day: date, km: float, minutes: float, sport: str = "Run") -> Activity:
    return Activity(id=f"{day}-{km}-{sport}", source="file", start_time=at(day, 18),
                    sport_type=sport, distance_m=km * 1000, moving_time_s=minutes * 60)


def test_monday_of_any_day_is_the_iso_week_start():
    assert monday(date(2024, 3, 10)) == MON  # Sunday
    assert monday(MON) == MON
    assert monday(date(2024, 3, 11)) == MON + timedelta(days=7)


def test_several_weigh_ins_on_one_day_count_once_as_their_mean():
    points = [(at(MON, 6), 80.0), (at(MON, 21), 81.0), (at(MON + timedelta(days=1)), 79.0)]
    assert daily_means(points) == {MON: 80.5, MON + timedelta(days=1): 79.0}


def test_weekly_mean_needs_enough_days():
    daily = {MON: 80.0, MON + timedelta(days=1): 82.0, MON + timedelta(days=7): 70.0}
    assert weekly_means(daily, min_days=2) == {MON: 81.0, MON + timedelta(days=7): None}


def test_two_weeks_by_hand():
    week2 = MON + timedelta(days=7)
    # Week 1 mean 80.0 (days 79, 80, 81); week 2 mean 79.5 (80, 79, 79.5, 79.5): change -0.5.
    weights = days(MON, [79, 80, 81]) + days(week2, [80, 79, 79.5, 79.5])
    # Fat: week 1 mean 20.0, week 2 mean 20.3: change +0.3.
    fats = days(MON, [20, 20, 20]) + days(week2, [20.3, 20.3, 20.3])
    activities = [
        run(week2, 10, 60), run(week2 + timedelta(days=2), 5, 30, "TrailRun"),
        run(week2 + timedelta(days=6), 3, 18, "VirtualRun"),
        run(week2 + timedelta(days=3), 40, 90, "Ride"),  # not running
        run(MON, 8, 48),  # week 1
    ]
    lifts = [
        LiftSet(week2, "Squat", 1, 5, 100.0, 1), LiftSet(week2, "Squat", 2, 5, 100.0, 2),
        LiftSet(week2 + timedelta(days=3), "Press", 1, 10, 40.0, 3),
    ]
    got = build_weeks(weights, fats, activities, lifts, today=week2 + timedelta(days=8))
    assert [w.start for w in got] == [MON, week2]
    first, second = got
    assert first.left_out and first.weight_kg is None  # nothing before it to compare with
    assert first.distance_km == pytest.approx(8.0)
    assert second.used
    assert second.distance_km == pytest.approx(18.0)
    assert second.duration_h == pytest.approx(108 / 60)
    assert second.crossfit_sessions == 2
    # (5*100 + 5*100 + 10*40) / (5 + 5 + 10) = 1400 / 20
    assert second.avg_weight_kg == pytest.approx(70.0)
    assert second.weight_kg == pytest.approx(-0.5)
    assert second.fat_ratio_pct == pytest.approx(0.3)
    assert second.features == pytest.approx((18.0, 1.8, 2.0, 70.0))
    assert second.targets == pytest.approx((-0.5, 0.3))


def test_a_week_without_training_has_zero_features_not_missing_ones():
    week2 = MON + timedelta(days=7)
    weights = days(MON, [80, 80, 80]) + days(week2, [79, 79, 79])
    got = build_weeks(weights, weights, [], [], today=week2 + timedelta(days=7))
    assert got[1].features == (0.0, 0.0, 0.0, 0.0)
    assert got[1].weight_kg == pytest.approx(-1.0)


def test_weeks_with_too_few_weigh_ins_are_left_out_with_the_reason_never_filled():
    w = [MON + timedelta(days=7 * i) for i in range(4)]
    weights = days(w[0], [80] * 5) + days(w[1], [80, None, None, 80]) + days(w[2], [81] * 4) \
        + days(w[3], [82] * 4)
    fats = days(w[0], [20] * 5) + days(w[1], [20] * 5) + days(w[2], [20] * 4)  # none in week 4
    got = build_weeks(weights, fats, [], [], today=w[3] + timedelta(days=7))
    assert [g.used for g in got] == [False, False, False, False]
    assert "weigh-in" in got[1].left_out and got[1].weight_kg is None
    assert "the week before" in got[2].left_out and got[2].fat_ratio_pct == pytest.approx(0.0)
    assert "fat-ratio" in got[3].left_out and got[3].weight_kg == pytest.approx(1.0)
    summary = features.summarise_left_out(got)
    assert sum(summary.values()) == 4


def test_the_current_week_is_never_used_its_training_is_not_all_in():
    week2 = MON + timedelta(days=7)
    weights = days(MON, [80] * 7) + days(week2, [79] * 7)
    assert [w.start for w in build_weeks(weights, weights, [], [], today=week2 + timedelta(6))] \
        == [MON]
    assert len(build_weeks(weights, weights, [], [], today=week2 + timedelta(7))) == 2


def test_weeks_after_the_last_weigh_in_are_not_counted():
    weights = days(MON, [80] * 7) + days(MON + timedelta(days=7), [79] * 7)
    got = build_weeks(weights, weights, [], [], today=MON + timedelta(days=70))
    assert [w.start for w in got] == [MON, MON + timedelta(days=7)]


def test_no_weigh_ins_no_weeks():
    assert build_weeks([], [], [run(MON, 5, 30)], [], today=MON + timedelta(days=30)) == []


def test_fetch_reads_the_store(store):
    week2 = MON + timedelta(days=7)
    records = []
    for i, (moment, value) in enumerate(days(MON, [80] * 3) + days(week2, [79.3] * 3)):
        records.append(Measurement(moment, "weight_kg", value, "withings", f"w{i}"))
        records.append(Measurement(moment, "fat_ratio_pct", 20.0, "withings", f"w{i}"))
    store.put(records)
    store.put([run(week2, 12, 70)])
    store.put([LiftSet(week2, "Squat", 1, 5, 60.0, 1)])
    got = features.fetch(store, today=week2 + timedelta(days=7))
    assert got[-1] == Week(week2, 12.0, pytest.approx(70 / 60), 1, 60.0, pytest.approx(-0.7), 0.0,
                           weight_mean_kg=pytest.approx(79.3), fat_ratio_mean_pct=20.0,
                           file_activities=1)


def test_weeks_keep_their_7_day_means_for_the_backtest():
    week2 = MON + timedelta(days=7)
    weights = days(MON, [80, 80, 80]) + days(week2, [79, 79, None, None])
    got = build_weeks(weights, weights, [], [], today=week2 + timedelta(days=7))
    assert got[0].weight_mean_kg == pytest.approx(80.0)
    assert got[1].weight_mean_kg is None  # two days: too few, as for the change


def _strava(day: date, km: float, also_from: str = "") -> Activity:
    return replace(run(day, km, km * 6), id=f"s{day}{km}", source="strava", also_from=also_from)


def test_only_what_strava_s_api_alone_gave_is_left_out_by_default_and_counted():
    week2 = MON + timedelta(days=7)
    weights = days(MON, [80] * 3) + days(week2, [79] * 3)
    activities = [run(week2, 5, 30), _strava(week2, 7, also_from="file"), _strava(week2, 11)]
    default = build_weeks(weights, weights, activities, [], today=week2 + timedelta(days=7))[1]
    assert default.distance_km == pytest.approx(12.0)  # the file's 5 and the exported 7
    assert (default.file_activities, default.strava_api_activities) == (2, 1)
    assert not default.strava_api_used
    chosen = build_weeks(weights, weights, activities, [], today=week2 + timedelta(days=7),
                         config=features.ForecastConfig(use_strava_api=True))[1]
    assert chosen.distance_km == pytest.approx(23.0)
    assert (chosen.file_activities, chosen.strava_api_activities) == (2, 1)
    assert chosen.strava_api_used


@pytest.mark.parametrize(("source", "also_from", "expected"), [
    ("file", "", features.FILE),
    ("strava", "", features.STRAVA_API),
    ("strava", "file", features.FILE),
    ("strava", "other,file", features.FILE),
    ("garmin", "", "garmin"),
])
def test_provenance(source, also_from, expected):
    activity = replace(run(MON, 5, 30), source=source, also_from=also_from)
    assert features.provenance(activity) == expected

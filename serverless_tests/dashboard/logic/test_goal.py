"""A body goal: checked on the way in; progress, projected date, rate needed, maintaining."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dashboard.logic import goal

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(("args", "message"), [
    (("height_m", 1.8), "weight or a fat ratio"),
    (("weight_kg", "seventy"), "must be a number"),
    (("weight_kg", 5), "between 20 and 400 kg"),
    (("fat_ratio_pct", 90), "between 2 and 70 %"),
    (("weight_kg", 75, "soon"), "not a date"),
    (("weight_kg", 75, "2026-11-30"), "after today"),
])
def test_a_bad_goal_says_what_is_wrong(args, message):
    with pytest.raises(goal.GoalError, match=message):
        goal.make(*args, today=TODAY)


def test_a_goal_round_trips_through_its_record():
    made = goal.make("weight_kg", "75.5", "2027-03-01", today=TODAY)
    assert goal.from_record(made.to_record()) == made
    assert goal.from_record({}) is None and goal.from_record({"target": "x"}) is None


def test_on_track_with_the_projected_date_and_the_rate_the_date_needs():
    target = goal.make("weight_kg", 76.0, TODAY + timedelta(weeks=10))
    done = goal.progress(target, start=82.0, current=80.0, rate_per_week=-0.5, today=TODAY)
    assert done.status == "on track" and done.remaining == pytest.approx(-4.0)
    assert done.done == pytest.approx(1 / 3)
    assert done.projected == TODAY + timedelta(weeks=8)
    assert done.needed_per_week == pytest.approx(-0.4)


def test_behind_when_the_rate_arrives_after_the_date_and_away_when_it_goes_the_other_way():
    target = goal.make("weight_kg", 76.0, TODAY + timedelta(weeks=4))
    assert goal.progress(target, 82.0, 80.0, -0.5, TODAY).status == "behind"
    away = goal.progress(target, 82.0, 80.0, +0.2, TODAY)
    assert away.status == "moving away" and away.projected is None
    assert goal.progress(target, 82.0, 80.0, None, TODAY).status == "no trend yet"


def test_within_the_band_is_maintaining():
    target = goal.make("fat_ratio_pct", 18.0)
    done = goal.progress(target, 22.0, 18.3, -0.3, TODAY)
    assert done.status == "maintaining" and done.projected is None
    assert goal.progress(target, 22.0, 18.6, -0.3, TODAY).status == "on track"

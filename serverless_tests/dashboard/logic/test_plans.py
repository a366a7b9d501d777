"""Forecast page's two plans: the form in the owner's units, the recent plan, paths and bands."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dashboard.logic import goal, plans
from models.features import Week

TODAY = date(2026, 12, 2)
ANSWER = {"weeks": 8, "per_week": {"weight_kg": -0.25, "fat_ratio_pct": -0.1},
          "total": {"weight_kg": -2.0, "fat_ratio_pct": -0.8},
          "interval": {"level": 0.8, "weight_kg": [-3.0, -1.0], "fat_ratio_pct": [-1.2, -0.4]}}
HISTORY = {"weight_kg": {TODAY - timedelta(days=d): 80.0 + d * 0.01 for d in range(120)},
           "fat_ratio_pct": {TODAY - timedelta(days=d): 20.0 for d in range(120)}}


def test_the_form_speaks_the_owners_units_and_the_api_gets_km_and_kg():
    assert plans.to_form("distance_km", 25.0, "distance", "imperial") == pytest.approx(15.5)
    assert plans.to_form("avg_weight_kg", 40.0, "lifted", "imperial") == pytest.approx(88.2)
    back = plans.from_form({"distance_km": 15.5, "avg_weight_kg": 88.2, "weeks": 8,
                            "duration_h": "x"}, "imperial")
    assert back["distance_km"] == pytest.approx(24.94, abs=0.01)
    assert back["avg_weight_kg"] == pytest.approx(40.0, abs=0.01)
    assert back["weeks"] == 8 and back["duration_h"] == "x"  # validation names it
    assert plans.label("distance_km", "Distance", "distance", "imperial") == "Distance (mi)"


def _week(start: date, km: float, sessions: int) -> Week:
    return Week(start, km, km / 10, sessions, 50.0, 0.0, 0.0)


def test_the_recent_plan_is_the_mean_of_the_last_four_weeks():
    weeks = [_week(TODAY - timedelta(weeks=6 - i), km, s)
             for i, (km, s) in enumerate([(100, 9), (10, 1), (20, 2), (30, 3), (40, 4)])]
    plan = plans.recent_plan(weeks)
    assert plan == {"distance_km": 25.0, "duration_h": 2.5, "crossfit_sessions": 2,
                    "avg_weight_kg": 50.0}
    assert plans.recent_plan(weeks[:3]) is None


def test_each_plan_starts_at_the_trend_and_its_band_opens_to_the_interval():
    answers = {plans.THIS_PLAN: ANSWER,
               plans.RECENT: {**ANSWER, "per_week": {"weight_kg": 0.1, "fat_ratio_pct": 0.0},
                              "interval": {}}}
    figure = plans.figure(answers, HISTORY, 8, "metric", TODAY,
                          goal.make("weight_kg", 76.0))
    by_name = {}
    for trace in figure["data"]:
        by_name.setdefault((trace["name"], trace["yaxis"]), trace)
    first = figure["data"][0]
    assert first["name"] == plans.THIS_PLAN and len(first["y"]) == 9
    assert first["y"][0] == 80.0 and first["y"][-1] == 78.0
    band = by_name[(f"{plans.THIS_PLAN}: 80 % interval", "y")]
    assert band["y"][8] == -1.0 + 80.0 and band["y"][9] == -3.0 + 80.0  # the horizon's ends
    assert band["y"][0] == band["y"][-1] == 80.0  # no width today
    assert by_name[(plans.RECENT, "y")]["y"][-1] == pytest.approx(80.8)
    assert (f"{plans.RECENT}: 80 % interval", "y") not in by_name  # no interval, no band
    history = by_name[("actual trend", "y")]
    assert len(history["x"]) == 7 * plans.HISTORY_WEEKS  # 12 weeks up to today
    assert by_name[("goal", "y")]["y"] == [76.0, 76.0]
    assert by_name[(plans.THIS_PLAN, "y2")]["y"][-1] == pytest.approx(19.2)


def test_imperial_paths_and_summary():
    figure = plans.figure({plans.THIS_PLAN: ANSWER}, HISTORY, 8, "imperial", TODAY)
    assert figure["data"][0]["y"][0] == pytest.approx(176.37, abs=0.01)
    assert "lb" in figure["layout"]["yaxis"]["title"]["text"]
    text = plans.summary(ANSWER, 8, "metric")
    assert text.startswith("weight -0.25 kg/week, fat ratio -0.10 %/week; in 8 weeks:")
    assert "weight -2.0 kg (80% interval -3.0 to -1.0)" in text
    assert "lb/week" in plans.summary(ANSWER, 8, "imperial")


def test_no_trend_says_how_to_get_one():
    figure = plans.figure({plans.THIS_PLAN: ANSWER}, {}, 8, "metric", TODAY)
    assert "No starting weight" in figure["layout"]["annotations"][0]["text"]

"""The weight page's body view: trend, rates, fat and lean mass and the goal, in the owner's
units and days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard.logic import body, goal

UTC_ZONE = ZoneInfo("UTC")
START = datetime(2026, 9, 1, 7, tzinfo=UTC)


def _weighins(days: int = 70, rate_kg_per_day: float = -0.05):
    weights = [(START + timedelta(days=d), 82.0 + rate_kg_per_day * d) for d in range(days)]
    fats = [(START + timedelta(days=d), 20.0) for d in range(days)]
    return weights, fats


def test_the_view_is_in_the_owners_units():
    built = body.build(*_weighins(), UTC_ZONE)
    metric = body.trend_figure(built, "metric")
    imperial = body.trend_figure(built, "imperial")
    assert metric["data"][0]["y"][0] == 82.0
    assert imperial["data"][0]["y"][0] == pytest.approx(82.0 / 0.45359237, abs=0.01)
    assert "lb" in imperial["layout"]["yaxis"]["title"]["text"]
    rows = dict(body.summary(built, "imperial"))
    assert rows["Rate, last 8 weeks"].endswith("lb/week")
    # a steady 0.35 kg a week: the trend's 8-week regression, once the trend has caught up
    assert float(dict(body.summary(built, "metric"))["Rate, last 4 weeks"].split()[0]) == \
        pytest.approx(-0.35, abs=0.05)
    assert rows["Fat mass"].endswith("lb") and rows["Fat ratio"] == "20.0 %"


def test_fat_and_lean_mass_are_drawn_on_two_axes():
    figure = body.composition_figure(body.build(*_weighins(), UTC_ZONE), "metric")
    fat, lean = figure["data"]
    assert fat["y"][0] == pytest.approx(16.4) and lean["y"][0] == pytest.approx(65.6)
    assert lean["yaxis"] == "y2"


def test_the_goal_line_and_sentence():
    built = body.build(*_weighins(), UTC_ZONE)
    today = max(built.weight_trend)
    target = goal.make("weight_kg", 76.0, today + timedelta(weeks=12))
    figure = body.trend_figure(built, "metric", goal=target)
    assert figure["data"][-1]["name"] == "goal" and figure["data"][-1]["y"] == [76.0, 76.0]
    assert figure["data"][-1]["x"][-1] == target.by.isoformat()
    text = body.goal_text(target, built, "metric", today)
    assert text.startswith("Goal 76.0 kg by") and "on track" in text
    assert "reached around" in text and "meeting the date takes" in text
    near = goal.make("weight_kg", round(built.weight_trend[today], 1))
    assert "maintaining" in body.goal_text(near, built, "metric", today)


def test_no_weigh_ins_say_how_to_get_some():
    empty = body.build([], [], UTC_ZONE)
    figure = body.trend_figure(empty, "metric")
    assert "No weigh-ins yet" in figure["layout"]["annotations"][0]["text"]
    assert body.summary(empty, "metric") == []
    assert body.goal_text(None, empty, "metric", date(2026, 12, 1)) == "No goal set."


def test_typed_in_weigh_ins_are_ringed_as_manual():
    built = body.build(*_weighins(), UTC_ZONE)
    day = max(built.weight)
    figure = body.trend_figure(built, "metric", typed={day: 78.6})
    ringed = figure["data"][-1]
    assert ringed["name"] == "typed in (manual)"
    assert ringed["x"] == [day.isoformat()] and ringed["y"] == [78.6]
    plain = body.trend_figure(built, "metric")["data"]
    assert "typed in (manual)" not in [t["name"] for t in plain]


def test_a_viewer_who_chose_stone_reads_body_weight_in_stone_and_rates_said_in_lb():
    built = body.build(*_weighins(), UTC_ZONE)
    rows = dict(body.summary(built, "imperial", stone=True))
    from core import units

    assert rows["Trend"] == units.fmt_stone(built.weight_trend[max(built.weight_trend)])
    assert " st " in rows["Trend"]
    assert rows["Rate, last 8 weeks (lb)"].endswith("lb/week")
    # Stone is imperial only: a metric viewer keeps kg.
    assert dict(body.summary(built, "metric", stone=True))["Trend"].endswith(" kg")

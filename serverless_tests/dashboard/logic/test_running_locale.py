"""The running page's figures and run list: each run on its own zone's clock, the viewer's units."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboard import data
from dashboard.logic import running, running_session
from storage import Activity

M_PER_MI = 1609.344


def _runs() -> object:
    rows = [
        # 07:05 on 29 Nov in Los Angeles (15:05 UTC), 10 km, 120 m of climb.
        Activity(id="la", start_time=datetime(2026, 11, 29, 15, 5, tzinfo=UTC),
                 sport_type="Run", name="Morning Run", distance_m=10000.0, moving_time_s=3000,
                 elevation_gain_m=120.0, average_speed_mps=10000 / 3000, source="strava",
                 timezone="America/Los_Angeles", utc_offset_s=-8 * 3600),
        # 06:30 on 30 Nov in Kolkata (01:00 UTC), an offset only.
        Activity(id="in", start_time=datetime(2026, 11, 30, 1, 0, tzinfo=UTC),
                 sport_type="Run", name="", distance_m=5000.0, moving_time_s=1500,
                 elevation_gain_m=10.0, average_speed_mps=None, source="files",
                 utc_offset_s=19800),
    ]
    return data.runs_frame(rows)


def test_over_time_draws_each_run_at_its_local_start_in_the_viewers_units():
    fig = running.over_time(_runs(), "imperial")
    distance, speed, climb = fig["data"]
    assert distance["x"] == ["2026-11-29T07:05", "2026-11-30T06:30"]
    assert distance["y"][0] == pytest.approx(10000 / M_PER_MI, abs=0.01)
    assert "mi" in distance["hovertemplate"] and "mph" in speed["hovertemplate"]
    assert climb["y"][0] == pytest.approx(120 / 0.3048, abs=0.01)
    assert distance["text"][0].startswith("29 Nov 2026, 07:05 PST")
    assert distance["text"][1].startswith("30 Nov 2026, 06:30 UTC+05:30")
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles == ["distance (mi)", "average speed (mph)", "elevation gain (ft)"]
    metric = running.over_time(_runs(), "metric")
    assert metric["data"][0]["y"] == [10.0, 5.0]
    assert [a["text"] for a in metric["layout"]["annotations"]][0] == "distance (km)"


def test_speed_against_climb_names_its_units_and_times():
    fig = running.speed_vs_elevation(_runs(), "imperial")
    assert fig["layout"]["xaxis"]["title"]["text"] == "elevation gain (ft)"
    assert fig["layout"]["yaxis"]["title"]["text"] == "average speed (mph)"
    assert fig["data"][0]["text"][0] == "Morning Run · 29 Nov 2026, 07:05 PST"
    assert fig["data"][0]["customdata"] == ["la", "in"]


def test_run_options_and_session_title_carry_the_runs_zone():
    options = running.run_options(_runs(), "imperial")
    assert options[0]["label"] == "30 Nov 2026, 06:30 UTC+05:30 · Run · 3.11 mi"
    assert options[1]["label"] == "29 Nov 2026, 07:05 PST · Morning Run · 6.21 mi"
    assert running.run_options(_runs())[1]["label"].endswith("10.00 km")
    run = _runs().iloc[0].to_dict()
    assert running_session.started(run) == "29 Nov 2026, 07:05 PST"
    old = {"start_time": datetime(2026, 11, 29, 15, 5, tzinfo=UTC)}  # stored before zones
    assert running_session.started(old) == "29 Nov 2026, 15:05 UTC"

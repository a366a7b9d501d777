"""The pages' pure functions on plain frames: changes, trend, 1RM, routes, forecast answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import polyline
import pytest

from dashboard.logic import crossfit, explore, forecast, overview, running, weight
from dashboard.logic.common import downsample_index, downsample_time


def series(values: list[float], start: datetime | None = None) -> pd.DataFrame:
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    return pd.DataFrame({"time": [start + timedelta(days=i) for i in range(len(values))],
                         "value": values})


def test_changes_colour_by_goal_direction() -> None:
    info = overview.changes(series([80.0] * 30 + [79.0]), "weight_kg")
    assert info is not None
    week = info["changes"][0]
    assert week["delta"] == -1.0 and week["arrow"] == "▼" and week["tone"] == "good"
    assert info["changes"][2]["delta"] is None  # less than a year of data
    muscle = overview.changes(series([30.0] * 10 + [29.0]), "muscle_mass_kg")
    assert muscle is not None and muscle["changes"][0]["tone"] == "bad"


def test_sources_table_ages_and_holdings() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    status: dict[str, dict[str, Any]] = {
        "strava": {"last_success_at": "2026-11-23T11:59:30Z", "last_outcome": "complete"},
        "withings": {"last_success_at": "2026-11-23T09:00:00Z", "last_outcome": "rate_limited"},
        "sheets": {"last_success_at": None, "last_outcome": "error"},
    }
    rows = overview.sources_table(status, now, {"strava": "12 activities"}, {"sheets": 3,
                                                                             "files": 1})
    by = {r["source"]: r for r in rows}
    assert by["strava"]["last success"] == "23 Nov 2026, 11:59 UTC (just now)"
    assert by["strava"]["records"] == "12 activities"
    assert by["withings"]["last success"].endswith("(3 h ago)")
    assert by["withings"]["last run"] == "rate limited"
    assert by["sheets"]["last success"] == "never" and by["sheets"]["rejected"] == 3
    assert by["files"]["rejected"] == 1  # quarantined files show even without a status
    assert overview.age_text(30 * 60) == "30 min ago"
    assert overview.age_text(3 * 86400) == "3 days ago"


def test_changes_empty() -> None:
    assert overview.changes(series([]), "weight_kg") is None


def test_trend_rate_per_week() -> None:
    values = [80 - 0.1 * i for i in range(60)]  # -0.7 kg a week
    _, rate = weight.trend(series(values))
    assert rate == pytest.approx(-0.7, abs=0.05)


def test_weekly_changes_sign() -> None:
    weekly = weight.weekly_changes(series([80 + (i // 7) for i in range(28)]))
    assert (weekly["change"] > 0).all()


def test_downsampling_bounds_points() -> None:
    frame = series(list(range(5000)))
    assert len(downsample_time(frame, "time", "value", 1000)) <= 1000
    idx = downsample_index(10_000, 500)
    assert len(idx) <= 500 and idx[0] == 0 and idx[-1] == 9999


def test_epley() -> None:
    assert crossfit.epley_1rm(100, 1) == 100
    assert crossfit.epley_1rm(100, 30) == 200


def test_sessions_aggregate_per_day() -> None:
    sets = pd.DataFrame({"date": pd.to_datetime(["2026-01-01"] * 2 + ["2026-01-03"]),
                         "exercise": ["Squat"] * 3, "set_index": [1, 2, 1],
                         "reps": [5, 3, 5], "weight_kg": [100.0, 110.0, 105.0]})
    per = crossfit.sessions(sets, "Squat")
    first = per.iloc[0]
    assert first["max_weight_kg"] == 110 and first["total_reps"] == 8
    assert first["avg_weight_per_rep_kg"] == pytest.approx((500 + 330) / 8)


def test_routes_carry_run_ids_and_gaps() -> None:
    runs = pd.DataFrame({"id": ["a", "b", "c"], "summary_polyline": [
        polyline.encode([(48.0, 2.0), (48.001, 2.001)]), None, "!!not a polyline"]})
    lats, lons, ids = running.routes(runs)
    assert ids == ["a", "a", None] and lats[-1] is None and lons[0] == 2.0


def test_clicked_run() -> None:
    assert running.clicked_run({"points": [{"customdata": "42"}]}) == "42"
    assert running.clicked_run({"points": [{"customdata": ["42"]}]}) == "42"
    assert running.clicked_run(None) is None
    assert running.clicked_run({"points": []}) is None


def test_session_empty_states() -> None:
    assert "Click a route" in running.session(None, None).layout.annotations[0].text


@pytest.mark.parametrize("status,body,expected", [
    (503, {"error": "no_model", "message": "x"}, "python -m models train"),
    (400, {"error": "invalid_parameter", "field": "weeks", "message": "too big"}, "weeks"),
    (401, {}, "PULSEBOARD_API_KEY"),
    (500, None, "HTTP 500"),
])
def test_forecast_errors_are_messages(status: int, body: object, expected: str) -> None:
    answer = forecast.parse(status, body)
    assert not answer.ok and expected in answer.message


def test_forecast_validate() -> None:
    good = {"distance_km": "20", "duration_h": 2, "crossfit_sessions": 3, "avg_weight_kg": 40,
            "weeks": 12}
    params, problem = forecast.validate(good)
    assert not problem and params["weeks"] == 12 and params["distance_km"] == 20.0
    _, problem = forecast.validate({**good, "weeks": 0})
    assert "weeks" in problem
    _, problem = forecast.validate({**good, "weeks": 53})  # past the API's 52-week horizon
    assert "between 1 and 52" in problem
    _, problem = forecast.validate({**good, "distance_km": None})
    assert "distance km" in problem


def test_forecast_model_summary_in_units_beside_the_baseline() -> None:
    text = forecast.model_summary({"model": {
        "version": "20261123T113824Z", "trained_at": "2026-11-23T11:38:24Z", "k": 15,
        "cv_mae": {"weight_kg": 0.194, "fat_ratio_pct": 0.259},
        "baseline_mae": {"weight_kg": 0.197, "fat_ratio_pct": 0.267}}})
    assert text.startswith("Model 20261123T113824Z · trained 23 Nov 2026, 11:38 UTC · k = 15")
    assert "weight ±0.19 kg (no-change guess ±0.20 kg)" in text
    assert "fat ratio ±0.26 % (no-change guess ±0.27 %)" in text
    assert forecast.model_summary({}) == "Model ?"


def test_forecast_path_starts_from_latest() -> None:
    data = {"weeks": 4, "per_week": {"weight_kg": -0.5, "fat_ratio_pct": 0.1}, "start": None}
    fig = forecast.path_figure(data, {"weight_kg": 80.0, "fat_ratio_pct": 20.0})
    assert list(fig.data[0].y) == [80.0, 79.5, 79.0, 78.5, 78.0]
    assert fig.data[1].y[-1] == pytest.approx(20.4)


def test_explore_selection_narrows_views() -> None:
    table = pd.DataFrame({"time": pd.date_range("2026-01-01", periods=20, tz="UTC"),
                          "value": range(20), "other": range(20),
                          "weekday": ["Mon", "Tue"] * 10, "name": [str(i) for i in range(20)]})
    all_views = explore.views(table, "measurements", "value", "other")
    some = explore.views(table, "measurements", "value", "other", selected=[0, 1, 2])
    assert sum(all_views["pie"]["data"][0]["values"]) == 20
    assert sum(some["pie"]["data"][0]["values"]) == 3
    assert explore.selected_indices({"points": [{"curveNumber": 0, "customdata": 4}]}) == [4]


@pytest.mark.parametrize("selection", [
    [], "points", {"points": "all"}, {"points": [1, None, "x"]},
    {"points": [{"curveNumber": 0, "customdata": "x"}, {"curveNumber": 0}]},
    {"points": [{"curveNumber": 0, "customdata": -3}]},
])
def test_explore_ignores_a_selection_it_cannot_read(selection: Any) -> None:
    assert explore.selected_indices(selection) is None


def test_explore_labels_carry_units_and_top_bars_stay_apart() -> None:
    assert explore.label("average_speed_kmh") == "average speed (km/h)"
    assert explore.label("fat_ratio_pct") == "fat ratio (%)"
    assert explore.label("weekday") == "weekday"
    table = pd.DataFrame({"start_time": pd.date_range("2026-01-01", periods=12, tz="UTC"),
                          "name": ["Morning Run"] * 12, "sport_type": ["Run"] * 12,
                          "distance_km": [float(i) for i in range(12)],
                          "moving_time_min": [6.0 * i for i in range(12)]})
    figs = explore.views(table, "activities", "distance_km", "moving_time_min")
    bars = list(figs["top"]["data"][0]["x"])
    assert len(set(bars)) == 10 and bars[0] == "2026-01-12 Morning Run"
    assert figs["scatter"]["layout"]["xaxis"]["title"]["text"] == "moving time (min)"
    for fig in figs.values():  # what plotly.js gets is valid plotly
        go.Figure(fig)


def test_explore_iso_times_spell_each_time_as_isoformat_does() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    zones = st.sampled_from([None, "UTC", "Europe/Paris", "America/St_Johns", "Asia/Kathmandu",
                             "Australia/Lord_Howe", "Africa/Monrovia"])
    seconds = st.integers(-2_000_000_000, 4_000_000_000)

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(seconds, st.sampled_from([0, 0, 0, 1_000, 250_000_000])),
                    max_size=30), zones, st.booleans())
    def check(moments: list[tuple[int, int]], zone: str | None, gap: bool) -> None:
        times = pd.Series(pd.to_datetime([s * 10**9 + ns for s, ns in moments], utc=True),
                          dtype="datetime64[ns, UTC]")
        if zone is None:
            times = times.dt.tz_localize(None)
        elif zone != "UTC":
            times = times.dt.tz_convert(zone)
        if gap and len(times):
            times.iloc[0] = pd.NaT
        assert explore.iso_times(times) == [t.isoformat() for t in times]

    check()

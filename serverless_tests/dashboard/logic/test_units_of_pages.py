"""The weight page's any-measurement view and the crossfit figures in the viewer's units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from core import localtime, units
from dashboard.logic import crossfit, weight

LB_PER_KG = 1 / 0.45359237


def _frame(values: list[float]) -> pd.DataFrame:
    start = datetime(2026, 10, 1, 7, tzinfo=UTC)
    return pd.DataFrame({"time": pd.to_datetime([start + timedelta(days=d)
                                                 for d in range(len(values))], utc=True),
                         "value": values})


def test_masses_are_shown_in_pounds_and_ratios_stay_percent():
    frame = _frame([80.0 + 0.1 * d for d in range(30)])
    fig, bars, text = weight.figures(frame, "weight_kg", 7, "imperial")
    assert fig["layout"]["yaxis"]["title"]["text"] == "Weight (lb)"
    assert fig["data"][0]["y"][0] == pytest.approx(80.0 * LB_PER_KG, abs=0.01)
    assert bars["layout"]["yaxis"]["title"]["text"] == "change per week (lb)"
    assert text.startswith(f"Latest {82.9 * LB_PER_KG:.1f} lb")
    metric, _, _ = weight.figures(frame, "weight_kg", 7)
    assert metric["layout"]["yaxis"]["title"]["text"] == "Weight (kg)"
    assert metric["data"][0]["y"][0] == 80.0
    ratio, _, _ = weight.figures(_frame([20.0] * 10), "fat_ratio_pct", 7, "imperial")
    assert ratio["layout"]["yaxis"]["title"]["text"] == "Fat ratio (%)"
    assert ratio["data"][0]["y"][0] == 20.0


def test_crossfit_weights_in_pounds():
    sets = pd.DataFrame({"date": pd.to_datetime(["2026-10-01", "2026-10-01", "2026-10-03"]),
                         "exercise": ["Deadlift"] * 3, "set_index": [1, 2, 1], "reps": [5, 5, 3],
                         "weight_kg": [100.0, 110.0, 120.0], "source_row": [2, 3, 4]})
    figs = crossfit.figures(sets, "Deadlift", "imperial")
    assert figs["scatter"]["layout"]["yaxis"]["title"]["text"] == "weight (lb)"
    assert max(figs["scatter"]["data"][0]["y"]) == pytest.approx(120.0 * LB_PER_KG, abs=0.01)
    assert figs["progress"]["data"][0]["y"][0] == pytest.approx(110.0 * LB_PER_KG, abs=0.01)
    metric = crossfit.figures(sets, "Deadlift")["scatter"]
    assert metric["layout"]["yaxis"]["title"]["text"] == "weight (kg)"
    # Sheet dates are calendar dates: drawn as written, never shifted by a zone.
    assert figs["e1rm"]["data"][0]["x"] == ["2026-10-01", "2026-10-03"]
    assert all("lb" in t["hovertemplate"] for t in figs["progress"]["data"][::2])


def test_measurement_labels_follow_the_units():
    assert weight.label("weight_kg", "imperial") == "Weight (lb)"
    assert weight.label("muscle_mass_kg", "imperial") == "Muscle mass (lb)"
    assert weight.label("weight_kg") == "Weight (kg)"
    assert weight.label("fat_ratio_pct", "imperial") == "Fat ratio (%)"
    labels = [o["label"] for o in weight.options(["weight_kg", "hydration_kg"], "imperial")]
    assert labels == ["Weight (lb)", "Hydration (lb)"]


def test_weigh_ins_are_drawn_and_bucketed_on_the_viewers_clock():
    la = localtime.zone("America/Los_Angeles")
    # 06:30 UTC on 30 Nov is 22:30 on 29 Nov in Los Angeles.
    frame = pd.DataFrame({"time": pd.to_datetime(["2026-11-16T18:00:00Z", "2026-11-30T06:30:00Z"],
                                                 utc=True), "value": [80.0, 81.0]})
    fig, bars, text = weight.figures(frame, "weight_kg", 7, "imperial", la)
    assert fig["data"][0]["x"][-1].startswith("2026-11-29T22:30")
    assert fig["data"][0]["y"][-1] == pytest.approx(178.57, abs=0.01)
    assert text.startswith("Latest 178.6 lb")
    # Its week is the one starting Monday 23 Nov there (in UTC it would be 30 Nov's).
    assert bars["data"][0]["x"] == ["2026-11-23"]
    utc_fig, utc_bars, _ = weight.figures(frame, "weight_kg", 7, "imperial", localtime.zone("UTC"))
    assert utc_fig["data"][0]["x"][-1].startswith("2026-11-30T06:30")
    assert utc_bars["data"][0]["x"] == ["2026-11-30"]


def test_stone_for_body_weight_and_rates_in_pounds_said():
    frame = _frame([80.0 + 0.1 * d for d in range(30)])
    _, _, text = weight.figures(frame, "weight_kg", 7, "imperial", None, stone=True)
    assert text.startswith(f"Latest {units.fmt_stone(82.9)} (")
    assert "lb/week" in text and "(rates in lb)" in text
    _, _, other = weight.figures(frame, "muscle_mass_kg", 7, "imperial", None, stone=True)
    assert other.startswith("Latest 182.8 lb ·") and "rates in lb" not in other


@pytest.mark.parametrize("n", [400, 3000, 20000, 70000])
def test_numpy_downsampling_and_weekly_changes_match_pandas(n):
    from dashboard.logic.common import downsample_time

    rng = np.random.default_rng(n)
    times = pd.Series(pd.to_datetime("2000-01-03") + pd.to_timedelta(
        np.sort(rng.uniform(0, n * 0.3 * 86400, n)), unit="s"))
    values = 80 + rng.normal(0, 1, n)
    values[rng.integers(0, n, n // 50)] = np.nan
    frame = pd.DataFrame({"time": times, "value": values})
    expected = downsample_time(frame.dropna(), "time", "value")
    got_x, got_y = weight.downsample(frame["time"], frame["value"])
    if n <= 1500:  # short enough: every point as it is
        assert len(got_x) == n
    else:
        assert list(got_x) == list(expected["time"].to_numpy())
        assert got_y == pytest.approx(expected["value"].to_numpy())
    pandas_weekly = frame.set_index("time")["value"].resample(
        "W-MON", label="left", closed="left").mean().dropna().diff().dropna()
    ours = weight.weekly_changes(frame)
    assert list(ours["week"]) == list(pandas_weekly.index)
    assert ours["change"].to_numpy() == pytest.approx(pandas_weekly.to_numpy())

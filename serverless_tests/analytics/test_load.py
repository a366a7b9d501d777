"""Loads against hand calculations: TRIMP, the pace estimate, lifting's sRPE, CTL/ATL/TSB."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from analytics import load


def test_trimp_of_an_hour_at_a_known_heart_rate() -> None:
    # HRr = (155 - 60) / (190 - 60) = 0.730769...
    hrr = 95 / 130
    expected = 60 * hrr * 0.64 * math.exp(1.92 * hrr)
    times = list(range(0, 3601))
    assert load.trimp_stream(times, [155.0] * len(times)) == pytest.approx(expected)
    assert load.trimp_average(3600, 155.0) == pytest.approx(expected)


def test_trimp_counts_a_pause_as_thirty_seconds_and_skips_missing_beats() -> None:
    times = [0.0, 60.0, 61.0]  # a 60 s step is a pause: 30 s counted
    hrr = 95 / 130
    per_minute = hrr * 0.64 * math.exp(1.92 * hrr)
    assert load.trimp_stream(times, [155, 155, 155]) == pytest.approx(per_minute * 31 / 60)
    assert load.trimp_stream(times, [0, 0, 0]) is None


def test_a_run_without_heart_rate_is_estimated_from_its_pace() -> None:
    # At threshold speed HRr stands at 0.85.
    value, how = load.run_load(3600, 3600 * load.THRESHOLD_SPEED_MPS)
    assert how == "pace"
    assert value == pytest.approx(60 * 0.85 * 0.64 * math.exp(1.92 * 0.85))
    assert load.run_load(3600, 10_000, 155.0)[1] == "average heart rate"
    assert load.run_load(3600, 10_000, 155.0, stream_trimp=42.0) == (42.0, "heart rate")
    assert load.run_load(0, 0) == (0.0, "pace")


def test_lifting_load_is_scaled_session_rpe() -> None:
    day = date(2026, 3, 2)
    sets = [
        load.Set(day, "Squat", 5, 100.0),  # e1RM 116.67: the best, RPE 10
        load.Set(day, "squat", 10, 50.0),  # e1RM 66.67: RPE 5.71
        load.Set(day, "Pull-up", 10, 0.0),  # bodyweight: RPE 5
        load.Set(day + timedelta(days=1), "Squat", 1, 20.0),  # 20.67: RPE floor 3
    ]
    loads = load.lifting_loads(sets)
    rpe_light = 10 * (50 * (1 + 10 / 30)) / (100 * (1 + 5 / 30))
    assert loads[day] == pytest.approx(3 * 0.3 * (10 + rpe_light + 5))
    assert loads[day + timedelta(days=1)] == pytest.approx(3 * 0.3 * 3)


def test_ctl_atl_tsb_against_a_hand_calculation() -> None:
    start = date(2026, 1, 1)
    loads = {start: 100.0, start + timedelta(days=2): 50.0}
    result = load.form(loads, start + timedelta(days=3))
    # CTL: 100/42, then ×41/42, then + (50 − that)/42, then ×41/42.
    c1 = 100 / 42
    c2 = c1 * 41 / 42
    c3 = c2 + (50 - c2) / 42
    c4 = c3 * 41 / 42
    a1 = 100 / 7
    a2 = a1 * 6 / 7
    a3 = a2 + (50 - a2) / 7
    a4 = a3 * 6 / 7
    np.testing.assert_allclose(result.ctl, [c1, c2, c3, c4])
    np.testing.assert_allclose(result.atl, [a1, a2, a3, a4])
    np.testing.assert_allclose(result.tsb, [c1 - a1, c2 - a2, c3 - a3, c4 - a4])
    assert result.days()[-1] == start + timedelta(days=3)
    np.testing.assert_allclose(result.load, [100, 0, 50, 0])


def test_a_steady_load_brings_fitness_and_fatigue_to_it() -> None:
    start = date(2025, 1, 1)
    loads = {start + timedelta(days=i): 80.0 for i in range(400)}
    result = load.form(loads, start + timedelta(days=399))
    assert result.ctl[-1] == pytest.approx(80, rel=1e-3)
    assert result.atl[-1] == pytest.approx(80, rel=1e-9)
    assert abs(result.tsb[-1]) < 0.1


def test_bad_heart_rate_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="above resting"):
        load.hr_reserve(150, rest_bpm=190, max_bpm=60)

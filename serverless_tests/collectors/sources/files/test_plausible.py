"""Implausible samples are left out of the totals; impossible totals are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from demo.activity_files import gpx_text, samples
from serverless_tests.collectors.sources.files.conftest import NOW, read_activity, rejected
from serverless_tests.collectors.sources.files.fitgen import Leg, fit_file

START = datetime(2025, 5, 20, 6, 30, tzinfo=UTC)


def test_altitude_and_position_spikes_are_left_out_of_the_totals():
    altitude = [100.0] * 120
    altitude[30] = 8_500.0  # within the globe's range, but 8 km up and back in 10 s
    altitude[60] = 12_000.0  # higher than any mountain
    fixes = {45: (49.85, 2.35),  # 110 km away and back within 10 s
             80: (95.0, 2.35)}  # off the globe
    data = fit_file([Leg("running", START, n=120, speed_mps=3.0, altitude_m=altitude,
                         fixes=fixes)])
    activity, stream = read_activity("spiky.fit", data, NOW)
    assert activity.elevation_gain_m == 0.0
    assert max(stream.altitude_m) == pytest.approx(100.0)
    assert max(lat for lat, _ in stream.latlng) < 48.9
    assert activity.max_speed_mps == pytest.approx(3.0)
    assert activity.distance_m == pytest.approx(3.0 * 5 * 119, abs=0.5)


def test_a_synthetic_altitude_ramp_is_no_climb():
    # A sawtooth at 20 m/s between 100 and 2,100 m for half an hour: 18 km of "climbing"
    # before this rule.
    altitude = [100.0 + 20.0 * (i % 100) for i in range(1800)]
    data = fit_file([Leg("cycling", START, n=1800, step_s=1.0, speed_mps=8.0,
                         altitude_m=altitude)])
    activity, _ = read_activity("ramp.fit", data, NOW)
    assert activity.elevation_gain_m == 0.0


def test_a_walk_at_60_m_s_is_refused():
    points = samples(START, n=100, speed_mps=60.0)
    reason = rejected("walk.gpx", gpx_text(points, sport="walking").encode())
    assert "faster than a Walk can go" in reason


def test_totals_no_one_can_achieve_are_refused():
    leg = Leg("running", START, n=100, totals={"ascent": 60_000})
    assert "impossible" in rejected("broken.fit", fit_file([leg]))
    fast = Leg("walking", START, n=100, speed_mps=2.0, totals={"distance": 30_000})
    assert "impossible for a Walk" in rejected("fast.fit", fit_file([fast]))

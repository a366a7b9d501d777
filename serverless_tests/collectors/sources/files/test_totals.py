"""A track as an Activity and its stream: the map, heart rate, dates, position fixes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import polyline
import pytest

from collectors.sources.files.totals import POLYLINE_POINTS
from demo.activity_files import (
    fit_bytes,
    gpx_text,
    samples,
    tcx_bytes,
)
from serverless_tests.collectors.sources.files.conftest import read_activity, rejected

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2025, 5, 20, 6, 30, tzinfo=UTC)


def test_summary_polyline_is_the_track_downsampled_at_precision_5():
    points = samples(START, n=1200, step_s=1)
    activity, stream = read_activity("long.fit", fit_bytes(points), NOW)
    decoded = polyline.decode(activity.summary_polyline, 5)
    assert 2 < len(decoded) <= POLYLINE_POINTS
    assert decoded[0] == pytest.approx((points[0].lat, points[0].lon), abs=1e-5)
    assert decoded[-1] == pytest.approx((points[-1].lat, points[-1].lon), abs=1e-5)
    assert len(stream.latlng) == len(points)


def test_heart_rate_absent_means_no_heart_rate_series():
    activity, stream = read_activity("a.fit", fit_bytes(samples(START, heart_rate=False)), NOW)
    assert activity.average_heartrate_bpm is None
    assert stream.heartrate_bpm is None


def test_timestamps_before_1990_are_rejected():
    # An unset device clock: FIT counts from 1989-12-31, small values are time since power-on.
    reason = rejected("old.fit", fit_bytes(samples(datetime(1989, 12, 31, tzinfo=UTC))))
    assert "before 1990" in reason
    old = samples(datetime(1985, 3, 1, tzinfo=UTC))
    assert "before 1990" in rejected("old.gpx", gpx_text(old).encode())
    assert "before 1990" in rejected("old.tcx", tcx_bytes(old))


def test_timestamps_in_the_future_are_rejected():
    points = samples(NOW + timedelta(days=2))
    for name, data in (("f.fit", fit_bytes(points)), ("f.gpx", gpx_text(points).encode())):
        assert "in the future" in rejected(name, data)


def test_a_clock_a_little_ahead_is_not_the_future():
    activity, _ = read_activity("a.fit", fit_bytes(samples(NOW - timedelta(seconds=60))), NOW)
    assert activity.start_time > NOW - timedelta(minutes=2)


def test_fit_with_records_before_a_position_fix_fills_the_track():
    points = samples(START, n=60)
    # Samples before the GPS fix have no position: the track starts at the first fix.
    blind = [
        type(p)(p.time, None, None, p.altitude_m, p.distance_m, p.speed_mps, p.heartrate_bpm)
        if i < 5 else p
        for i, p in enumerate(points)
    ]
    activity, stream = read_activity("fix.fit", fit_bytes(blind), NOW)
    assert len(stream.latlng) == len(points)
    assert stream.latlng[0] == pytest.approx([points[5].lat, points[5].lon], abs=1e-5)
    assert all(math.isfinite(v) for pair in stream.latlng for v in pair)
    assert activity.distance_m == pytest.approx(points[-1].distance_m, abs=0.1)


def test_a_start_with_a_fraction_of_a_second_is_kept_as_the_store_keeps_it(sqlite_store):
    import dataclasses

    points = [dataclasses.replace(p, time=p.time + timedelta(milliseconds=850))
              for p in samples(START)]
    activity, _ = read_activity("fraction.gpx", gpx_text(points).encode(), NOW)
    assert activity.start_time == START
    sqlite_store.put([activity])
    assert sqlite_store.query("activities") == [activity]

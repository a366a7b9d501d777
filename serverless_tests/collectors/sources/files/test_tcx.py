"""TCX files: a treadmill run without positions, and a real Garmin file."""

from __future__ import annotations

from datetime import UTC, datetime

import polyline
import pytest

from demo.activity_files import (
    samples,
    tcx_bytes,
)
from serverless_tests.collectors.sources.files.conftest import read_activity

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2025, 5, 20, 6, 30, tzinfo=UTC)


def test_a_treadmill_tcx_without_positions_has_no_map_but_keeps_its_samples():
    points = samples(START, gps=False)
    activity, stream = read_activity("treadmill.tcx", tcx_bytes(points), NOW)
    assert activity.summary_polyline is None
    assert stream.latlng is None
    assert len(stream.time_s) == len(points)
    assert activity.distance_m == pytest.approx(points[-1].distance_m, rel=0.001)


def test_a_real_garmin_tcx_file_reads():
    """A device's own TCX (shipped with stravalib's tests), not one made by these fixtures."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("stravalib")
    sample = Path(spec.origin).parent / "tests" / "resources" / "sample.tcx" if spec else None
    if sample is None or not sample.exists():
        pytest.skip("stravalib's sample.tcx is not installed")
    activity, stream = read_activity("sample.tcx", sample.read_bytes(), NOW)
    assert activity.sport_type == "Ride"
    assert activity.start_time.year == 2009
    assert activity.distance_m > 1000 and activity.moving_time_s <= activity.elapsed_time_s
    assert len(stream.time_s) == len(stream.latlng) == len(stream.heartrate_bpm) > 100
    assert polyline.decode(activity.summary_polyline)[0] == pytest.approx(stream.latlng[0],
                                                                          abs=1e-5)

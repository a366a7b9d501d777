"""GPX files: heart rate, segments and gaps, and tracks without timed points refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from demo.activity_files import (
    gpx_text,
    samples,
)
from serverless_tests.collectors.sources.files.conftest import (
    TODAY,
    read_activity,
    real_file,
    rejected,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2025, 5, 20, 6, 30, tzinfo=UTC)


def test_gpx_with_no_track_points_is_rejected():
    empty = gpx_text(samples(START, n=3)).replace(
        gpx_text(samples(START, n=3)).split("<trkseg>")[1].split("</trkseg>")[0], ""
    )
    assert "no track points" in rejected("route.gpx", empty.encode())


def test_gpx_route_without_times_is_rejected():
    route = gpx_text(samples(START), times=False).encode()
    assert "no track points" in rejected("route.gpx", route)


def test_a_heart_rate_of_zero_at_every_point_is_no_heart_rate():
    import dataclasses

    points = [dataclasses.replace(p, heartrate_bpm=0) for p in samples(START)]
    activity, stream = read_activity("opentracks.gpx", gpx_text(points).encode(), NOW)
    assert activity.average_heartrate_bpm is None and stream.heartrate_bpm is None


def test_the_real_opentracks_hike_without_a_sensor_has_no_heart_rate():
    data = real_file("gpx/gap-2025-08-29-Cadzand.gpx").read_bytes()
    activity, stream = read_activity("cadzand.gpx", data, TODAY)
    assert activity.distance_m == pytest.approx(2_692, rel=0.01)
    assert activity.average_heartrate_bpm is None and stream.heartrate_bpm is None

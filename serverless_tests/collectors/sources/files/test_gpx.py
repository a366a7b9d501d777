"""GPX files: tracks without timed points refused."""

from __future__ import annotations

from datetime import UTC, datetime

from demo.activity_files import (
    gpx_text,
    samples,
)
from serverless_tests.collectors.sources.files.conftest import rejected

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

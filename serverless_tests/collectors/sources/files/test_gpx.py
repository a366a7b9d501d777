"""GPX files: heart rate, segments and gaps, and tracks without timed points refused."""

from __future__ import annotations

import dataclasses
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
    points = [dataclasses.replace(p, heartrate_bpm=0) for p in samples(START)]
    activity, stream = read_activity("opentracks.gpx", gpx_text(points).encode(), NOW)
    assert activity.average_heartrate_bpm is None and stream.heartrate_bpm is None


def test_the_real_opentracks_hike_without_a_sensor_has_no_heart_rate():
    data = real_file("gpx/gap-2025-08-29-Cadzand.gpx").read_bytes()
    activity, stream = read_activity("cadzand.gpx", data, TODAY)
    assert activity.distance_m == pytest.approx(2_692, rel=0.01)
    assert activity.average_heartrate_bpm is None and stream.heartrate_bpm is None


def segmented_gpx(parts: list[list], new_track: list[bool]) -> bytes:
    """One GPX of several `<trkseg>`s; `new_track[i]` puts part i in a `<trk>` of its own."""
    body = ""
    for i, part in enumerate(parts):
        text = gpx_text(part)
        segment = text[text.index("<trkseg>"):text.index("</trkseg>") + len("</trkseg>")]
        if i == 0 or new_track[i]:
            body += ("</trk>" if i else "") + "<trk><type>running</type>"
        body += segment
    head = gpx_text(parts[0])
    return (head[:head.index("<trk>")] + body + "</trk></gpx>\n").encode()


def test_distance_moving_time_and_max_speed_come_from_inside_the_segments():
    from datetime import timedelta

    minute = timedelta(minutes=1)
    parts = [samples(START, n=60, speed_mps=3.0),
             # 2 minutes later, 3 km away: the watch was off in a car.
             samples(START + 7 * minute, n=60, speed_mps=3.0, origin=(48.88, 2.3522)),
             samples(START + 14 * minute, n=60, speed_mps=3.0, origin=(48.91, 2.3522))]
    data = segmented_gpx(parts, new_track=[True, False, True])
    activity, stream = read_activity("gaps.gpx", data, NOW)
    inside_m = sum(p[-1].distance_m for p in parts)
    assert activity.distance_m == pytest.approx(inside_m, rel=0.02)
    assert activity.moving_time_s == pytest.approx(3 * 59 * 5.0, abs=5)
    assert activity.elapsed_time_s == pytest.approx((parts[-1][-1].time - START).total_seconds())
    assert activity.max_speed_mps == pytest.approx(3.0, rel=0.05)
    assert max(stream.velocity_mps) == pytest.approx(3.0, rel=0.05)
    # Across a gap the distance stays where it was.
    assert stream.distance_m[60] == stream.distance_m[59]


def test_the_real_lake_walk_of_eight_tracks_agrees_with_gpxpy():
    import gpxpy

    path = real_file("gpx/cerknicko-jezero.gpx")
    activity, _ = read_activity("cerknicko.gpx", path.read_bytes(), TODAY)
    document = gpxpy.parse(path.read_text())
    assert activity.distance_m == pytest.approx(document.length_2d(), rel=0.005)
    assert activity.distance_m == pytest.approx(4_580, rel=0.01)
    recorded_s = sum((s.points[-1].time - s.points[0].time).total_seconds()
                     for t in document.tracks for s in t.segments if s.points)
    assert activity.moving_time_s <= recorded_s < activity.elapsed_time_s


def test_a_track_whose_points_are_almost_all_untimed_is_a_route_not_an_activity():
    points = samples(START, n=296)
    text = gpx_text(points)
    # Keep the time of 5 points only, as a route planner that copied a few fixes writes it.
    rows = text.split("<trkpt ")
    head, rows = rows[0], rows[1:]
    rows = [row if i % 60 == 0 else row.split("<time>")[0] + row.split("</time>")[1]
            for i, row in enumerate(rows)]
    reason = rejected("planned.gpx", (head + "<trkpt " + "<trkpt ".join(rows)).encode())
    assert "only 5 of its 296 track points have a time" in reason


def test_a_single_timed_point_or_no_duration_is_no_activity():
    assert "single timed point" in rejected("one.gpx", gpx_text(samples(START, n=1)).encode())
    same = [dataclasses.replace(p, time=START) for p in samples(START, n=20)]
    assert "same time" in rejected("still.gpx", gpx_text(same).encode())


@pytest.mark.parametrize(("name", "words"), [
    ("gpx1.0_with_all_fields.gpx", "single timed point"),
    ("route.gpx", "no track points with a time"),
    ("Mojstrovka.gpx", "before 1990"),
])
def test_real_routes_and_unset_clocks_are_refused(name, words):
    data = real_file(f"gpx/{name}").read_bytes()
    assert words in rejected(name, data, TODAY)

"""Reading FIT, GPX and TCX files into an Activity and its stream, and refusing bad ones."""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime, timedelta

import polyline
import pytest

from collectors.fileformats import FileRejected, gunzip, read_activity, sniff, sport_type
from collectors.fileformats.track import POLYLINE_POINTS
from demo.activity_files import (
    fit_bytes,
    gpx_text,
    gz,
    samples,
    tcx_bytes,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2025, 5, 20, 6, 30, tzinfo=UTC)


def files(points):
    return {
        "run.fit": fit_bytes(points),
        "run.gpx": gpx_text(points).encode(),
        "run.tcx": tcx_bytes(points),
        "run.fit.gz": gz(fit_bytes(points)),
        "run.gpx.gz": gz(gpx_text(points).encode()),
        "run.tcx.gz": gz(tcx_bytes(points, leading_blank=True)),
    }


@pytest.mark.parametrize("name", list(files(samples(START, n=5))))
def test_each_format_gives_the_activity_it_records(name):
    points = samples(START, n=150, step_s=4, speed_mps=3.2, climb_m=35)
    activity, stream = read_activity(name, files(points)[name], NOW)
    duration_s = (points[-1].time - points[0].time).total_seconds()
    assert activity.source == "file"
    assert activity.sport_type == "Run"
    assert activity.start_time == points[0].time
    # GPX carries no distance: it is measured along the track, so allow the geometry's error.
    assert activity.distance_m == pytest.approx(points[-1].distance_m, rel=0.02)
    assert activity.elapsed_time_s == pytest.approx(duration_s, abs=1)
    assert activity.moving_time_s == pytest.approx(duration_s, abs=1)
    assert activity.elevation_gain_m == pytest.approx(35, abs=3)
    assert activity.average_speed_mps == pytest.approx(3.2, rel=0.02)
    hrs = [p.heartrate_bpm for p in points]
    assert activity.average_heartrate_bpm == pytest.approx(sum(hrs) / len(hrs), abs=1)
    assert len(stream.time_s) == len(points)
    for series in (stream.distance_m, stream.altitude_m, stream.velocity_mps,
                   stream.heartrate_bpm, stream.latlng):
        assert series is not None and len(series) == len(points)
    assert stream.time_s[-1] == pytest.approx(duration_s)
    assert stream.latlng[0] == pytest.approx([points[0].lat, points[0].lon], abs=1e-5)
    assert stream.activity_id == activity.id


def test_summary_polyline_is_the_track_downsampled_at_precision_5():
    points = samples(START, n=1200, step_s=1)
    activity, stream = read_activity("long.fit", fit_bytes(points), NOW)
    decoded = polyline.decode(activity.summary_polyline, 5)
    assert 2 < len(decoded) <= POLYLINE_POINTS
    assert decoded[0] == pytest.approx((points[0].lat, points[0].lon), abs=1e-5)
    assert decoded[-1] == pytest.approx((points[-1].lat, points[-1].lon), abs=1e-5)
    assert len(stream.latlng) == len(points)


def test_id_is_stable_from_content_whatever_the_compression():
    points = samples(START)
    plain, _ = read_activity("a.fit", fit_bytes(points), NOW)
    packed, _ = read_activity("b.fit.gz", gz(fit_bytes(points)), NOW)
    other, _ = read_activity("a.fit", fit_bytes(samples(START + timedelta(days=1))), NOW)
    assert plain.id == packed.id
    assert plain.id != other.id


def test_a_treadmill_tcx_without_positions_has_no_map_but_keeps_its_samples():
    points = samples(START, gps=False)
    activity, stream = read_activity("treadmill.tcx", tcx_bytes(points), NOW)
    assert activity.summary_polyline is None
    assert stream.latlng is None
    assert len(stream.time_s) == len(points)
    assert activity.distance_m == pytest.approx(points[-1].distance_m, rel=0.001)


def test_heart_rate_absent_means_no_heart_rate_series():
    activity, stream = read_activity("a.fit", fit_bytes(samples(START, heart_rate=False)), NOW)
    assert activity.average_heartrate_bpm is None
    assert stream.heartrate_bpm is None


@pytest.mark.parametrize(
    ("sport", "sub_sport", "expected"),
    [
        ("running", "trail", "TrailRun"),
        ("running", "treadmill", "Run"),
        ("cycling", "generic", "Ride"),
        ("cycling", "virtual_activity", "VirtualRide"),
        ("training", "strength_training", "WeightTraining"),
        ("walking", "generic", "Walk"),
    ],
)
def test_fit_sports_map_to_strava_sport_types(sport, sub_sport, expected):
    activity, _ = read_activity("a.fit", fit_bytes(samples(START), sport, sub_sport), NOW)
    assert activity.sport_type == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [("Run", "Run"), ("Trail Run", "TrailRun"), ("Weight Training", "WeightTraining"),
     ("Biking", "Ride"), ("cycling", "Ride"), ("9", "Run"), ("Kitesurf", "Kitesurf"),
     ("underwater basket weaving", "Workout"), (None, "Workout")],
)
def test_sport_names_from_every_source(given, expected):
    assert sport_type(given) == expected


# --- bad files ---------------------------------------------------------------------------------


def rejected(name, data, now=NOW):
    with pytest.raises(FileRejected) as caught:
        read_activity(name, data, now)
    return str(caught.value)


def test_truncated_fit_is_rejected():
    data = fit_bytes(samples(START))
    assert "truncated" in rejected("cut.fit", data[: len(data) // 2])


def test_corrupt_fit_is_rejected_by_its_checksum():
    data = bytearray(fit_bytes(samples(START)))
    data[200] ^= 0xFF
    assert "corrupt" in rejected("flipped.fit", bytes(data))


def test_fit_course_file_is_not_an_activity():
    reason = rejected("course.fit", fit_bytes(samples(START), file_type="course"))
    assert "course" in reason


def test_gpx_with_no_track_points_is_rejected():
    empty = gpx_text(samples(START, n=3)).replace(
        gpx_text(samples(START, n=3)).split("<trkseg>")[1].split("</trkseg>")[0], ""
    )
    assert "no track points" in rejected("route.gpx", empty.encode())


def test_gpx_route_without_times_is_rejected():
    route = gpx_text(samples(START), times=False).encode()
    assert "no track points" in rejected("route.gpx", route)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("run.gpx", fit_bytes(samples(START)), "a FIT file"),
        ("run.fit", gpx_text(samples(START)).encode(), "rename it to .gpx"),
        ("run.tcx", b"<html><body>Not found</body></html>", "XML of another kind"),
        ("run.fit", gz(fit_bytes(samples(START))), "rename it to .fit.gz"),
        ("run.fit.gz", fit_bytes(samples(START)), "not gzip-compressed"),
        ("run.gpx", b"", "empty"),
        ("run.fit", b"\x0e\x10garbage", "no FIT header"),
        ("notes.txt", b"hello", "not an activity file"),
    ],
)
def test_content_that_does_not_match_the_name_is_rejected(name, data, words):
    assert words in rejected(name, data)


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


def test_gzip_bomb_stops_at_the_limit():
    bomb = gz(b"\0" * (4 * 2**20))
    with pytest.raises(FileRejected, match="limit"):
        gunzip(bomb, limit=2**20)
    with pytest.raises(FileRejected, match="limit"):
        read_activity("bomb.fit.gz", bomb, NOW, limit=2**20)


def test_truncated_gzip_is_rejected():
    data = gz(fit_bytes(samples(START)))
    assert "truncated" in rejected("cut.fit.gz", data[: len(data) - 20])


def test_sniff_tells_formats_apart():
    points = samples(START, n=3)
    assert sniff(fit_bytes(points)) == "fit"
    assert sniff(gpx_text(points).encode()) == "gpx"
    assert sniff(tcx_bytes(points, leading_blank=True)) == "tcx"
    assert sniff(gz(b"x")) == "gzip"
    assert sniff(b"PK\x03\x04rest") == "zip"
    assert sniff(b"\x00\x01") is None


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


def test_fit_header_alone_is_truncated_not_a_crash():
    data = fit_bytes(samples(START))
    header = data[:14]
    body_size = struct.unpack("<I", header[4:8])[0]
    assert body_size > 0
    assert "truncated" in rejected("header.fit", header)


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

"""One named file's bytes into its records, and the refusals every format shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collectors.sources.files.parse import gunzip, sniff
from collectors.sources.files.track import FileRejected
from demo.activity_files import (
    fit_bytes,
    gpx_text,
    gz,
    samples,
    tcx_bytes,
)
from serverless_tests.collectors.sources.files.conftest import read_activity, rejected

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


def test_id_is_stable_from_content_whatever_the_compression():
    points = samples(START)
    plain, _ = read_activity("a.fit", fit_bytes(points), NOW)
    packed, _ = read_activity("b.fit.gz", gz(fit_bytes(points)), NOW)
    other, _ = read_activity("a.fit", fit_bytes(samples(START + timedelta(days=1))), NOW)
    assert plain.id == packed.id
    assert plain.id != other.id


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

"""FIT files: multisport legs, and damaged, truncated or non-activity ones refused."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import pytest

from collectors.sources.files.parse import parse
from demo.activity_files import (
    fit_bytes,
    samples,
)
from serverless_tests.collectors.sources.files.conftest import TODAY, real_file, rejected
from storage.records import Activity, ActivityStream

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2025, 5, 20, 6, 30, tzinfo=UTC)


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


def test_fit_header_alone_is_truncated_not_a_crash():
    data = fit_bytes(samples(START))
    header = data[:14]
    body_size = struct.unpack("<I", header[4:8])[0]
    assert body_size > 0
    assert "truncated" in rejected("header.fit", header)


def triathlon(start: datetime) -> list:
    from serverless_tests.collectors.sources.files.fitgen import Leg

    minute = timedelta(minutes=1)
    return [
        # The swim's first samples come before its session's start_time, as a fenix writes it.
        Leg("swimming", start, n=60, step_s=10, speed_mps=0.9, heart_rate=None, early=6),
        Leg("transition", start + 11 * minute, n=12, speed_mps=1.2),
        Leg("cycling", start + 13 * minute, n=240, speed_mps=9.5, heart_rate=150),
        Leg("transition", start + 34 * minute, n=12, speed_mps=1.5),
        Leg("running", start + 36 * minute, n=180, speed_mps=3.4, heart_rate=160),
    ]


def test_a_multisport_file_is_one_activity_per_leg_linked_as_one_event():
    from serverless_tests.collectors.sources.files.fitgen import fit_file

    legs = triathlon(START)
    parsed = parse("triathlon.fit", fit_file(legs), NOW)
    activities = [r for r in parsed.records if isinstance(r, Activity)]
    streams = {r.activity_id: r for r in parsed.records if isinstance(r, ActivityStream)}
    assert [a.sport_type for a in activities] == ["Swim", "Ride", "Run"]
    assert len({a.event_id for a in activities}) == 1 and activities[0].event_id
    assert [(a.leg, a.legs) for a in activities] == [(1, 3), (2, 3), (3, 3)]
    assert len({a.id for a in activities}) == 3
    swim, ride, run = activities
    # The swim starts at its first sample, not at the session's later start_time.
    assert swim.start_time == legs[0].start - timedelta(seconds=60)
    assert (ride.start_time, run.start_time) == (legs[2].start, legs[4].start)
    for activity, leg in zip(activities, (legs[0], legs[2], legs[4]), strict=True):
        stream = streams[activity.id]
        assert activity.distance_m == pytest.approx(leg.distance_m, abs=0.1)
        assert activity.moving_time_s == pytest.approx(leg.step_s * (leg.n - 1), abs=1)
        # Each leg's stream is its own slice: from 0 (the device restarts its counter) to the
        # leg's distance, never flat across the other legs.
        assert stream.distance_m[0] == 0.0
        assert stream.distance_m[-1] == pytest.approx(leg.speed_mps * leg.step_s
                                                      * (leg.n - 1 + leg.early), abs=0.5)
        assert stream.time_s[-1] == pytest.approx((leg.end - activity.start_time)
                                                  .total_seconds(), abs=0.5)
    assert swim.average_heartrate_bpm is None and streams[swim.id].heartrate_bpm is None
    assert run.average_heartrate_bpm == 160 and ride.average_heartrate_bpm == 150
    assert run.average_speed_mps == pytest.approx(3.4, rel=0.01)


def test_the_real_fenix_multisport_day_becomes_its_legs():
    data = real_file("fit/activity-large-fenxi2-multisport.fit").read_bytes()
    parsed = parse("multisport.fit", data, TODAY)
    activities = [r for r in parsed.records if isinstance(r, Activity)]
    streams = {r.activity_id: r for r in parsed.records if isinstance(r, ActivityStream)}
    assert [a.sport_type for a in activities][1:] == ["Run", "Run", "Ride"]
    assert [a.distance_m for a in activities] == pytest.approx([25072, 2245, 12740, 28928],
                                                               abs=1)
    starts = [a.start_time for a in activities]
    assert starts == sorted(starts) and len(set(starts)) == 4
    for activity in activities:
        stream = streams[activity.id]
        assert stream.distance_m[0] == 0.0
        assert stream.distance_m[-1] == pytest.approx(activity.distance_m, rel=0.01)
        assert stream.time_s[-1] == pytest.approx(activity.elapsed_time_s, abs=5)


def test_a_heart_rate_of_zero_is_no_heart_rate():
    from serverless_tests.collectors.sources.files.fitgen import Leg, fit_file

    data = fit_file([Leg("cycling", START, n=90, speed_mps=8.0, heart_rate=0,
                         sub_sport="virtual_activity")])
    [activity, stream] = parse("zwift.fit", data, NOW).records
    assert isinstance(activity, Activity) and isinstance(stream, ActivityStream)
    assert activity.sport_type == "VirtualRide"
    assert activity.average_heartrate_bpm is None and stream.heartrate_bpm is None


def test_the_real_zwift_ride_without_a_strap_has_no_heart_rate():
    data = real_file("fit/null_compressed_speed_dist.fit").read_bytes()
    [activity, stream] = parse("zwift.fit", data, TODAY).records
    assert isinstance(activity, Activity) and isinstance(stream, ActivityStream)
    assert activity.sport_type == "VirtualRide"
    assert activity.distance_m == pytest.approx(13_400, abs=1)
    assert activity.average_heartrate_bpm is None and stream.heartrate_bpm is None

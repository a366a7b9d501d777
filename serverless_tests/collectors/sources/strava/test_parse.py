"""Strava parsing on payloads shaped like the API reference's examples, and rate-limit headers."""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime

import polyline
import pytest

from collectors.parsing import ParseError
from collectors.sources.strava.parse import (
    parse_activities,
    parse_activity,
    parse_rate_limits,
    parse_streams,
    wants_streams,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ROUTE = [(45.7640, 4.8357), (45.7652, 4.8371), (45.7671, 4.8390), (45.7690, 4.8402)]

# SummaryActivity as the reference's example shows it (a trainer ride: null polyline).
SWAGGER_RIDE = {
    "resource_state": 2,
    "athlete": {"id": 134815, "resource_state": 1},
    "name": "Happy Friday",
    "distance": 24931.4,
    "moving_time": 4500,
    "elapsed_time": 4500,
    "total_elevation_gain": 0,
    "type": "Ride",
    "sport_type": "MountainBikeRide",
    "workout_type": None,
    "id": 154504250376823,
    "external_id": "garmin_push_12345678987654321",
    "upload_id": 987654321234567891234,
    "start_date": "2018-05-02T12:15:09Z",
    "start_date_local": "2018-05-02T05:15:09Z",
    "timezone": "(GMT-08:00) America/Los_Angeles",
    "utc_offset": -25200,
    "map": {"id": "a12345678987654321", "summary_polyline": None, "resource_state": 2},
    "trainer": True,
    "commute": False,
    "manual": False,
    "private": False,
    "average_speed": 5.54,
    "max_speed": 11,
    "has_heartrate": True,
    "average_heartrate": 140.3,
    "max_heartrate": 178,
}


def run(**changes):
    raw = copy.deepcopy(SWAGGER_RIDE)
    raw.update({
        "id": 9_876_543_210,
        "name": "Morning Run",
        "type": "Run",
        "sport_type": "Run",
        "distance": 10_012.3,
        "moving_time": 3_001,
        "elapsed_time": 3_120,
        "total_elevation_gain": 84.5,
        "trainer": False,
        "start_date": "2026-11-19T06:30:00Z",
        "map": {"id": "a1", "summary_polyline": polyline.encode(ROUTE, 5), "resource_state": 2},
    })
    raw.update(changes)
    return raw


def test_swagger_example_ride_keeps_its_sport_type_and_64_bit_id():
    activity = parse_activity(SWAGGER_RIDE)
    assert activity.id == str(SWAGGER_RIDE["id"]) and int(activity.id) > 2**32
    assert activity.sport_type == "MountainBikeRide"
    assert activity.start_time == datetime(2018, 5, 2, 12, 15, 9, tzinfo=UTC)
    assert activity.distance_m == SWAGGER_RIDE["distance"]
    assert activity.moving_time_s == SWAGGER_RIDE["moving_time"]
    assert activity.average_heartrate_bpm == SWAGGER_RIDE["average_heartrate"]
    assert activity.summary_polyline is None  # trainer: null polyline
    assert not wants_streams(SWAGGER_RIDE)


def test_run_with_route_keeps_the_encoded_polyline():
    raw = run()
    activity = parse_activity(raw)
    assert activity.summary_polyline == raw["map"]["summary_polyline"]
    assert polyline.decode(activity.summary_polyline) == ROUTE
    assert activity.elevation_gain_m == raw["total_elevation_gain"]
    assert wants_streams(raw)


@pytest.mark.parametrize("sport", ["Run", "TrailRun", "VirtualRun"])
def test_every_run_type_wants_streams_but_manual_ones_do_not(sport):
    assert wants_streams(run(sport_type=sport))
    assert not wants_streams(run(sport_type=sport, manual=True))


def test_manual_activity_without_map_and_heart_rate():
    raw = run(manual=True, average_heartrate=None, has_heartrate=False)
    del raw["map"]
    activity = parse_activity(raw)
    assert activity.summary_polyline is None
    assert activity.average_heartrate_bpm is None


def test_heart_rate_key_absent_and_polyline_empty():
    raw = run(map={"id": "a2", "summary_polyline": "", "resource_state": 2})
    del raw["average_heartrate"]
    activity = parse_activity(raw)
    assert activity.average_heartrate_bpm is None and activity.summary_polyline is None


def test_old_payload_without_sport_type_falls_back_to_type():
    raw = run(type="Walk")
    del raw["sport_type"]
    assert parse_activity(raw).sport_type == "Walk"


def test_ids_beyond_53_bits_stay_exact():
    big = 2**62 + 12345
    assert parse_activity(run(id=big)).id == str(big)
    assert parse_activity(run(id=str(big))).id == str(big)


def test_null_numbers_read_as_zero_or_unknown():
    activity = parse_activity(run(distance=None, total_elevation_gain=None, average_speed=None))
    assert activity.distance_m == 0.0 and activity.elevation_gain_m == 0.0
    assert activity.average_speed_mps is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": None}, "id"),
        ({"id": True}, "id"),
        ({"id": 1.5}, "id"),
        ({"start_date": None}, "start_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"sport_type": None, "type": None}, "sport_type"),
        ({"distance": "far"}, "distance"),
        ({"moving_time": math.inf}, "moving_time"),
        ({"map": {"summary_polyline": "_p~iF~ps|U_ulLnnqC_mqNvxq"}}, "polyline"),
        ({"map": {"summary_polyline": 12}}, "polyline"),
    ],
)
def test_unusable_activities_say_why(changes, reason):
    with pytest.raises(ParseError, match=reason):
        parse_activity(run(**changes))


def test_a_page_rejects_bad_activities_and_keeps_the_rest():
    bad = run(id=77, start_date="not a time")
    page = parse_activities([run(), SWAGGER_RIDE, bad, "junk"], NOW)
    assert [a.id for a in page.records] == ["9876543210", str(SWAGGER_RIDE["id"])]
    assert page.stream_ids == ["9876543210"]
    assert page.size == 4
    assert [r.ref for r in page.rejected] == ["activity 77", "activity at index 3"]
    assert all(r.source == "strava" and r.seen_at == NOW for r in page.rejected)
    assert "start_date" in page.rejected[0].reason and "77" in page.rejected[0].raw


def test_a_page_that_is_not_a_list_is_an_error():
    with pytest.raises(ParseError):
        parse_activities({"message": "Authorization Error"}, NOW)


# --- streams --------------------------------------------------------------------------------


def stream(kind, data):
    return {"type": kind, "data": data, "series_type": "distance", "original_size": len(data),
            "resolution": "high"}


SERIES = {
    "time": [0, 1, 2, 3],
    "distance": [0.0, 2.9, 5.8, 8.5],
    "altitude": [170.0, 170.4, 171.0, 171.2],
    "velocity_smooth": [0.0, 2.9, 2.9, 2.8],
    "heartrate": [98, 101, 104, 108],
    "latlng": [list(p) for p in ROUTE],
}


def test_streams_keyed_by_type():
    keyed = {k: {key: v for key, v in stream(k, d).items() if key != "type"}
             for k, d in SERIES.items()}
    got = parse_streams("42", keyed)
    assert got.activity_id == "42"
    assert got.time_s == [0.0, 1.0, 2.0, 3.0]
    assert got.distance_m == SERIES["distance"]
    assert got.velocity_mps == SERIES["velocity_smooth"]
    assert got.heartrate_bpm == [98.0, 101.0, 104.0, 108.0]
    assert got.latlng == [list(p) for p in ROUTE]


def test_streams_as_a_list_like_the_reference_example():
    listed = [stream(k, d) for k, d in SERIES.items()]
    assert parse_streams("42", listed) == parse_streams(
        "42", {k: {"data": d} for k, d in SERIES.items()})


def test_treadmill_streams_without_gps_or_heart_rate():
    got = parse_streams("7", [stream(k, SERIES[k]) for k in ("time", "distance", "altitude")])
    assert got.latlng is None and got.heartrate_bpm is None and got.velocity_mps == []


def test_dropped_samples_take_the_last_value():
    data = dict(SERIES, heartrate=[None, 101, None, 108], latlng=[None, [45.0, 4.0], None,
                                                                   [45.1, 4.1]])
    got = parse_streams("1", {k: {"data": d} for k, d in data.items()})
    assert got.heartrate_bpm == [101.0, 101.0, 101.0, 108.0]
    assert got.latlng == [[45.0, 4.0], [45.0, 4.0], [45.0, 4.0], [45.1, 4.1]]


def test_a_heart_rate_stream_of_nulls_is_absent():
    data = dict(SERIES, heartrate=[None] * 4)
    assert parse_streams("1", {k: {"data": d} for k, d in data.items()}).heartrate_bpm is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"distance": [0, 1]}, "no time"),
        (dict(SERIES, heartrate=[1, 2, 3]), "heartrate_bpm 3"),
        (dict(SERIES, altitude=[1, "x", 3, 4]), "sample 1"),
        (dict(SERIES, latlng=[[1, 2], [3], [4, 5], [6, 7]]), "pair"),
        (dict(SERIES, time=[None, None, None, None]), "time stream is empty"),
    ],
)
def test_unusable_streams_say_why(data, reason):
    with pytest.raises(ParseError, match=reason):
        parse_streams("1", {k: {"data": d} for k, d in data.items()})


def test_streams_answer_of_the_wrong_shape():
    with pytest.raises(ParseError):
        parse_streams("1", "nope")
    with pytest.raises(ParseError, match="no data"):
        parse_streams("1", {"time": {"series_type": "time"}})


# --- rate limits -------------------------------------------------------------


def headers(read_usage="10,100", read_limit="100,1000"):
    return {"X-RateLimit-Limit": "200,2000", "X-RateLimit-Usage": "12,150",
            "X-ReadRateLimit-Limit": read_limit, "X-ReadRateLimit-Usage": read_usage}


def test_rate_limit_headers():
    limits = parse_rate_limits(headers())
    assert limits["overall"].limit_15min == 200 and limits["overall"].usage_day == 150
    assert limits["read"].usage_15min == 10 and limits["read"].limit_day == 1000
    assert parse_rate_limits({"X-ReadRateLimit-Usage": "garbage"}) == {}


def test_the_zone_it_happened_in_is_kept() -> None:
    from storage.records import parse_iso_utc as _utc

    raw = {"id": 7, "start_date": "2018-02-20T18:02:13Z", "sport_type": "Run",
           "start_date_local": "2018-02-20T10:02:13Z",
           "timezone": "(GMT-08:00) America/Los_Angeles"}
    activity = parse_activity(raw)
    assert (activity.timezone, activity.utc_offset_s) == ("America/Los_Angeles", -8 * 3600)
    assert activity.start_time == _utc("2018-02-20T18:02:13Z")
    assert activity.local_start().strftime("%Y-%m-%d %H:%M") == "2018-02-20 10:02"


def test_an_odd_zone_keeps_the_activity_with_what_can_be_read() -> None:
    raw = {"id": 8, "start_date": "2026-11-30T14:00:00Z", "sport_type": "Run",
           "start_date_local": "2026-11-30T23:00:00Z", "timezone": "(GMT+09:00) Nowhere/City"}
    activity = parse_activity(raw)
    assert (activity.timezone, activity.utc_offset_s) == ("", 9 * 3600)
    no_zone = parse_activity({"id": 9, "start_date": "2026-11-30T14:00:00Z", "sport_type": "Run",
                              "start_date_local": "not a time"})
    assert (no_zone.timezone, no_zone.utc_offset_s) == ("", None)

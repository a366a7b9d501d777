"""The synthetic athlete: deterministic, shaped like the providers' payloads, believable."""

from __future__ import annotations

import math
import re
import statistics
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polyline
import pytest

from demo.athlete import SHEET_HEADER, WITHINGS_TYPES, Athlete, routes, start_epoch

from .conftest import END

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
LYON = (45.76, 4.84)


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111.32
    dlon = (a[1] - b[1]) * 111.32 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlon)


def value(measure: dict) -> float:
    return measure["value"] * 10 ** measure["unit"]


def test_same_seed_same_athlete_other_seed_other_athlete() -> None:
    one = Athlete.generate(seed=21, years=0.5, end=END)
    two = Athlete.generate(seed=21, years=0.5, end=END)
    other = Athlete.generate(seed=22, years=0.5, end=END)
    assert one.activities == two.activities
    assert one.measure_groups == two.measure_groups
    assert one.sheet_rows == two.sheet_rows
    run = one.runs()[3]["id"]
    assert one.streams[run] == two.streams[run]
    assert one.activities != other.activities
    assert one.measure_groups != other.measure_groups


def test_three_years_by_default_ending_on_the_given_day() -> None:
    athlete = Athlete.generate(end=END)
    starts = [start_epoch(a) for a in athlete.activities]
    span_days = (max(starts) - min(starts)) / 86_400
    assert 3 * 365 - 14 <= span_days <= 3 * 365 + 1
    assert max(starts) < datetime(END.year, END.month, END.day, tzinfo=UTC).timestamp()
    weeks = span_days / 7
    assert 3.0 <= len(athlete.runs()) / weeks <= 4.0
    rides = [a for a in athlete.activities if a["sport_type"] in ("Ride", "VirtualRide")]
    assert 0.05 <= len(rides) / weeks <= 1.0


def test_activities_follow_summary_activity_shape(small_athlete: Athlete) -> None:
    activities = small_athlete.activities
    assert [start_epoch(a) for a in activities] == sorted(
        (start_epoch(a) for a in activities), reverse=True
    )
    assert len({a["id"] for a in activities}) == len(activities)
    for activity in activities:
        assert isinstance(activity["id"], int)
        assert ISO_Z.match(activity["start_date"]), activity["start_date"]
        for key in ("distance", "total_elevation_gain", "average_speed", "max_speed"):
            assert isinstance(activity[key], int | float) and activity[key] >= 0
        for key in ("moving_time", "elapsed_time"):
            assert isinstance(activity[key], int) and activity[key] > 0
        assert activity["elapsed_time"] >= activity["moving_time"]
        for key in ("manual", "trainer", "private"):
            assert isinstance(activity[key], bool)
        assert activity["sport_type"] in (
            "Run",
            "TrailRun",
            "Ride",
            "VirtualRide",
            "WeightTraining",
        )
        if activity["moving_time"] and activity["distance"]:
            expected = activity["distance"] / activity["moving_time"]
            assert activity["average_speed"] == pytest.approx(expected, abs=0.002)


def test_activities_and_streams_validate_as_stravalib_models(
    small_athlete: Athlete, caplog: pytest.LogCaptureFixture
) -> None:
    from stravalib import model

    for activity in small_athlete.activities:
        parsed = model.SummaryActivity.model_validate(activity)
        assert parsed.id == activity["id"]
        assert parsed.sport_type is not None and parsed.sport_type.root == activity["sport_type"]
    assert "Unexpected" not in caplog.text
    run = next(
        r for r in small_athlete.runs() if "latlng" in small_athlete.streams.get(r["id"], {})
    )
    for kind, data in small_athlete.streams[run["id"]].items():
        stream = model.Stream.model_validate(
            {
                "type": kind,
                "data": data,
                "series_type": "distance",
                "original_size": len(data),
                "resolution": "high",
            }
        )
        assert stream.data == data


def test_payload_edge_cases_are_all_present() -> None:
    athlete = Athlete.generate(seed=7, years=3.0, end=END)
    activities = athlete.activities
    assert any(a["id"] > 2**32 for a in activities)
    assert any(a["id"] < 2**32 for a in activities)
    assert any("map" not in a for a in activities)
    assert any(a.get("map") and a["map"]["summary_polyline"] is None for a in activities)
    assert any(a["trainer"] and a["sport_type"] == "Run" for a in activities)
    assert any(a["manual"] for a in activities)
    assert any(a["private"] for a in activities)
    runs = athlete.runs()
    assert any("average_heartrate" not in r for r in runs)
    assert any("average_heartrate" in r and r["average_heartrate"] is None for r in runs)
    assert {"Run", "TrailRun", "Ride", "WeightTraining"} <= {a["sport_type"] for a in activities}


def test_polylines_are_loops_around_one_city(small_athlete: Athlete) -> None:
    mapped = [a for a in small_athlete.activities if (a.get("map") or {}).get("summary_polyline")]
    assert len(mapped) > 50
    for activity in mapped:
        points = polyline.decode(activity["map"]["summary_polyline"], 5)
        assert len(points) >= 20
        assert all(km_between(p, LYON) < 35 for p in points)
        assert list(points[0]) == pytest.approx(activity["start_latlng"], abs=1e-5)
        if activity["sport_type"] == "Run":
            # a road run stays within a few km of its start
            assert max(km_between(points[0], p) for p in points) < 6


def stream_checks(activity: dict, streams: dict) -> None:
    lengths = {len(series) for series in streams.values()}
    assert len(lengths) == 1 and lengths.pop() > 100
    time_s = np.array(streams["time"])
    distance_m = np.array(streams["distance"])
    assert time_s[0] == 0 and time_s[-1] == activity["elapsed_time"]
    assert np.all(np.diff(time_s) > 0) and np.all(np.diff(distance_m) >= 0)
    assert distance_m[-1] == pytest.approx(activity["distance"], abs=1.0)
    steps = np.diff(time_s)
    moving = steps[steps <= 4].sum()  # a pause shows as one long step
    assert moving == pytest.approx(activity["moving_time"], abs=4)
    velocity = np.array(streams["velocity_smooth"])
    assert velocity[1:].mean() == pytest.approx(activity["average_speed"], rel=0.1)
    if activity["sport_type"] in ("Run", "TrailRun"):
        assert 1.8 < activity["average_speed"] < 5.5
        assert velocity.max() < 8
    if "altitude" in streams:
        climb = np.clip(np.diff(streams["altitude"]), 0, None).sum()
        assert climb == pytest.approx(activity["total_elevation_gain"], rel=0.2, abs=3)
        lat, lon = np.array(streams["latlng"]).T
        hops_m = np.hypot(np.diff(lat) * 111_320, np.diff(lon) * 78_000)
        assert hops_m.sum() == pytest.approx(activity["distance"], rel=0.05)
    if "heartrate" in streams:
        heart = np.array(streams["heartrate"])
        assert 60 <= heart.min() and heart.max() <= 200
        assert heart.mean() == pytest.approx(activity["average_heartrate"], abs=3)


def test_streams_agree_with_their_summary(small_athlete: Athlete) -> None:
    checked = {"gps": 0, "treadmill": 0, "no_hr": 0}
    for activity in small_athlete.activities:
        if activity["id"] not in small_athlete.streams:
            assert activity["manual"]
            continue
        streams = small_athlete.streams[activity["id"]]
        stream_checks(activity, streams)
        if activity["trainer"]:
            assert "latlng" not in streams and "altitude" not in streams
            checked["treadmill"] += 1
        elif (activity.get("map") or {}).get("summary_polyline"):
            assert "latlng" in streams
            checked["gps"] += 1
        if not activity.get("average_heartrate"):
            assert "heartrate" not in streams
            checked["no_hr"] += 1
    assert all(count > 0 for count in checked.values()), checked


def test_trail_runs_climb_more_than_park_runs(small_athlete: Athlete) -> None:
    def gain_per_km(kind: str) -> float:
        chosen = [a for a in small_athlete.activities if a["sport_type"] == kind]
        return statistics.mean(a["total_elevation_gain"] / a["distance"] * 1000 for a in chosen)

    assert gain_per_km("TrailRun") > 2 * gain_per_km("Run")
    assert routes()[4].climb_m[-1] > 5 * routes()[0].climb_m[-1]


def test_measure_groups_follow_withings_shape(small_athlete: Athlete) -> None:
    groups = small_athlete.measure_groups
    keys = {
        "grpid",
        "attrib",
        "date",
        "created",
        "modified",
        "category",
        "deviceid",
        "measures",
        "comment",
    }
    for group in groups:
        assert keys <= set(group)
        assert group["modified"] >= group["created"] >= group["date"] or group["category"] == 2
        for measure in group["measures"]:
            assert set(measure) == {"value", "type", "unit"}
            assert isinstance(measure["value"], int) and isinstance(measure["unit"], int)
            assert measure["type"] in WITHINGS_TYPES
    assert len({g["grpid"] for g in groups}) == len(groups)
    assert {g["category"] for g in groups} == {1, 2}
    assert {m["type"] for g in groups for m in g["measures"]} == set(WITHINGS_TYPES)
    assert any(g["attrib"] == 2 and len(g["measures"]) == 1 for g in groups)
    assert any(g["modified"] > g["created"] for g in groups)
    assert len({m["unit"] for g in groups for m in g["measures"]}) > 1
    real = [g for g in groups if g["category"] == 1]
    weights = [value(m) for g in real for m in g["measures"] if m["type"] == 1]
    fats = [value(m) for g in real for m in g["measures"] if m["type"] == 6]
    assert 55 < min(weights) and max(weights) < 110
    assert 8 < min(fats) and max(fats) < 35
    days = sorted({datetime.fromtimestamp(g["date"], UTC).date() for g in real})
    assert 0.7 <= len(days) / ((days[-1] - days[0]).days + 1) <= 0.95
    for group in real:  # parts add up: fat mass + fat-free mass = weight
        by_type = {m["type"]: value(m) for m in group["measures"]}
        if 5 in by_type:
            assert by_type[5] + by_type[8] == pytest.approx(by_type[1], abs=0.02)


def test_weight_responds_to_training_volume() -> None:
    athlete = Athlete.generate(seed=3, years=3.0, end=END)
    week_s = 7 * 86_400
    weights: dict[int, list[float]] = {}
    for group in athlete.measure_groups:
        if group["category"] == 1:
            kg = next(value(m) for m in group["measures"] if m["type"] == 1)
            weights.setdefault(group["date"] // week_s, []).append(kg)
    run_km: dict[int, float] = {}
    for run in athlete.runs():
        week = start_epoch(run) // week_s
        run_km[week] = run_km.get(week, 0.0) + run["distance"] / 1000
    pairs = [
        (run_km.get(week, 0.0), statistics.mean(weights[week]) - statistics.mean(weights[week - 1]))
        for week in sorted(weights)
        if week - 1 in weights
    ]
    km, change = zip(*pairs, strict=True)
    assert np.corrcoef(km, change)[0, 1] < -0.15


def is_bad(row: list[str]) -> bool:
    try:
        date.fromisoformat(row[0])
        float(row[4]) if len(row) > 4 and row[4] else 0.0
        return int(row[3]) < 0 or not row[1].strip()
    except (ValueError, IndexError):
        return True


def test_sheet_rows_progress_and_hold_a_few_bad_rows(small_athlete: Athlete) -> None:
    rows = small_athlete.sheet_rows
    assert rows[0] == SHEET_HEADER
    assert all(isinstance(cell, str) for row in rows for cell in row)
    body = [row for row in rows[1:] if row]
    bad = [row for row in body if is_bad(row)]
    assert len(bad) == 4
    assert any(row[4] == "8O" for row in bad)
    assert any(row[3].startswith("-") for row in bad)
    assert any(row[1] == "" for row in bad)
    assert any(not re.match(r"^\d{4}-\d\d-\d\d$", row[0]) for row in bad)
    assert any(row == [] for row in rows)  # a blank line mid-sheet
    assert any(len(row) == 5 and row[4] == "" for row in body)  # bodyweight sets
    good = [row for row in body if not is_bad(row)]
    sessions = {row[0] for row in good}
    weeks = (small_athlete.end - small_athlete.start).days / 7
    assert 2.0 <= len(sessions) / weeks <= 3.2
    squats = [float(row[4]) for row in good if row[1] == "Back Squat"]
    quarter = len(squats) // 4
    assert statistics.mean(squats[-quarter:]) > statistics.mean(squats[:quarter]) + 5


def test_edits_deletes_and_additions(athlete: Athlete) -> None:
    run = next(r for r in athlete.runs() if r["id"] in athlete.streams and not r["trainer"])
    before = athlete.streams[run["id"]]
    edited = athlete.edit_activity(run["id"], distance=run["distance"] + 1000, name="Edited")
    assert edited["name"] == "Edited"
    after = athlete.streams[run["id"]]
    assert after["distance"][-1] == pytest.approx(before["distance"][-1] + 1000, abs=1)
    stream_checks(edited, after)

    athlete.delete_activity(run["id"])
    assert run["id"] not in athlete.streams
    assert all(a["id"] != run["id"] for a in athlete.activities)
    with pytest.raises(KeyError):
        athlete.delete_activity(run["id"])

    newest_id = max(a["id"] for a in athlete.activities)
    when = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)
    added = athlete.add_activity(start=when, distance_m=12_000, moving_time_s=3_600)
    assert added["id"] > newest_id and athlete.activities[0] is added
    assert added["start_date"] == "2026-11-19T07:00:00Z"
    stream_checks(added, athlete.streams[added["id"]])

    group = athlete.add_weighin(79.5, at=when, fat_ratio_pct=18.2, modified=1_800_000_000)
    assert group["modified"] == 1_800_000_000
    assert {m["type"]: value(m) for m in group["measures"]} == pytest.approx({1: 79.5, 6: 18.2})
    assert len({g["grpid"] for g in athlete.measure_groups}) == len(athlete.measure_groups)
    old = athlete.measure_groups[-1]
    athlete.edit_weighin(old["grpid"], weight_kg=70.0, modified=1_800_000_100)
    assert old["modified"] == 1_800_000_100
    assert [value(m) for m in old["measures"] if m["type"] == 1] == pytest.approx([70.0])

    athlete.set_sheet_rows([SHEET_HEADER, ["2026-11-18", "Deadlift", "1", "5", "120"]])
    assert athlete.sheet_rows[1][4] == "120"


def test_add_activity_defaults_to_a_recent_run(athlete: Athlete) -> None:
    added = athlete.add_activity()
    started = datetime.fromisoformat(added["start_date"].replace("Z", "+00:00"))
    assert datetime.now(UTC) - started < timedelta(hours=2)
    assert added["sport_type"] == "Run" and added["map"]["summary_polyline"]

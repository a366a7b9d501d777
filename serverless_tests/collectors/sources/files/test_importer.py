"""Importing files, folders and Strava's export into a store: duplicates, refusals, run pages."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from collectors.dedupe import absorb_file_duplicates, find_duplicate
from collectors.sources.files import parse
from collectors.sources.files.importer import import_paths
from demo.activity_files import (
    ExportEntry,
    export_zip,
    fit_bytes,
    gpx_text,
    gz,
    samples,
    tcx_bytes,
)
from serverless_tests.collectors.sources.files.conftest import (
    DAY,
    NOW,
    export_entries,
    garmin_folder,
    read_activity,
    snapshot,
)
from storage import Activity, ActivityStream


def test_a_folder_of_garmin_fit_files_imports(store, tmp_path):
    runs = garmin_folder(tmp_path / "garmin")
    summary = import_paths(store, [tmp_path / "garmin"], now=NOW)
    assert (summary.imported, summary.duplicates, summary.rejected) == (len(runs), 0, 0)
    assert summary.skipped == 1
    stored = store.query("activities")
    assert [a.start_time for a in stored] == [points[0].time for points in runs]
    assert all(a.source == "file" and a.sport_type == "Run" for a in stored)
    for activity, points in zip(stored, runs, strict=True):
        assert activity.distance_m == pytest.approx(points[-1].distance_m, abs=0.1)
        stream = store.get("streams", activity.id)
        assert len(stream.time_s) == len(points)
    assert store.get_doc("sync", "files").data["imported"] == len(runs)


def test_importing_the_same_files_twice_changes_nothing(store, tmp_path, monkeypatch):
    garmin_folder(tmp_path / "garmin", days=3)
    first = import_paths(store, [tmp_path / "garmin"], now=NOW)
    before = snapshot(store)

    def no_parsing(*args, **kwargs):
        raise AssertionError("a file imported before was parsed again")

    # Known files are answered from the index of imported files, without parsing.
    monkeypatch.setattr(parse, "parse", no_parsing)
    again = import_paths(store, [tmp_path / "garmin"], now=NOW + timedelta(hours=1))
    assert again.imported == 0
    assert again.duplicates == first.imported
    assert snapshot(store) == before


def test_the_same_activity_in_two_formats_is_one(store, tmp_path):
    points = samples(DAY)
    (tmp_path / "a.fit").write_bytes(fit_bytes(points))
    (tmp_path / "a.gpx").write_text(gpx_text(points))
    (tmp_path / "a.tcx").write_bytes(tcx_bytes(points))
    summary = import_paths(store, [tmp_path / "a.fit", tmp_path / "a.gpx", tmp_path / "a.tcx"],
                           now=NOW)
    assert (summary.imported, summary.duplicates) == (1, 2)
    assert store.count("activities") == 1


def strava_run(points, offset_s: float = 20.0, distance_scale: float = 1.01) -> Activity:
    return Activity(
        id="9876543210", source="strava", start_time=points[0].time + timedelta(seconds=offset_s),
        sport_type="Run", name="Lunch Run", distance_m=points[-1].distance_m * distance_scale,
        moving_time_s=500, elapsed_time_s=520, summary_polyline=None,
    )


def test_a_file_matching_a_strava_activity_is_a_duplicate_and_fills_its_stream(store, tmp_path):
    points = samples(DAY, n=100)
    strava = strava_run(points)
    # Strava's stream came without heart rate and position (a privacy zone, a strap left home).
    times = [float(t) for t in range(0, 480, 10)]
    store.put([strava, ActivityStream(
        activity_id=strava.id, time_s=times, distance_m=[3.0 * t for t in times],
        altitude_m=[], velocity_mps=[3.0] * len(times), heartrate_bpm=None, latlng=None)])
    (tmp_path / "run.fit").write_bytes(fit_bytes(points))
    summary = import_paths(store, [tmp_path / "run.fit"], now=NOW)
    assert (summary.imported, summary.duplicates) == (0, 1)
    assert summary.outcomes[0].activity_id == strava.id
    # Strava's record stays, noting that the owner's file brought it too.
    assert store.query("activities") == [dataclasses.replace(strava, also_from="file")]
    filled = store.get("streams", strava.id)
    assert filled.time_s == times
    assert filled.distance_m == [3.0 * t for t in times]
    assert len(filled.heartrate_bpm) == len(times) and len(filled.latlng) == len(times)
    assert len(filled.altitude_m) == len(times)
    # 20 s into the Strava activity is 20 s + offset into the file: the series line up in time.
    file_index = round((times[5] + 20.0) / 5)
    assert filled.heartrate_bpm[5] == pytest.approx(points[file_index].heartrate_bpm, abs=1)
    before = snapshot(store)
    import_paths(store, [tmp_path / "run.fit"], now=NOW)
    assert snapshot(store) == before


def test_a_strava_activity_without_a_stream_gets_the_files(store, tmp_path):
    points = samples(DAY, n=60)
    strava = strava_run(points, offset_s=-30, distance_scale=0.985)
    store.put([strava])
    (tmp_path / "run.gpx").write_text(gpx_text(points))
    summary = import_paths(store, [tmp_path / "run.gpx"], now=NOW)
    assert summary.duplicates == 1
    stream = store.get("streams", strava.id)
    assert len(stream.time_s) == len(points)
    assert stream.time_s[0] == pytest.approx(30.0)


def test_not_a_duplicate_outside_the_window(store):
    points = samples(DAY)
    activity, _ = read_activity("a.fit", fit_bytes(points), NOW)
    store.put([strava_run(points, offset_s=61)])
    assert find_duplicate(store, activity) is None
    store.put([strava_run(points, offset_s=60, distance_scale=1.03)])
    assert find_duplicate(store, activity) is None
    near = strava_run(points, offset_s=-60, distance_scale=0.981)
    store.put([near])
    assert find_duplicate(store, activity) == near


def test_a_strava_sync_after_the_file_keeps_the_strava_activity(store, tmp_path):
    points = samples(DAY, n=70)
    other = samples(DAY + timedelta(days=1))
    (tmp_path / "run.fit").write_bytes(fit_bytes(points))
    (tmp_path / "other.fit").write_bytes(fit_bytes(other))
    import_paths(store, [tmp_path], now=NOW)
    file_ids = {a.start_time: a.id for a in store.query("activities")}
    strava = strava_run(points, offset_s=10)
    store.put([strava])
    assert absorb_file_duplicates(store, [strava]) == [strava.id]
    assert {a.id for a in store.query("activities")} == {strava.id, file_ids[other[0].time]}
    assert store.get("streams", file_ids[points[0].time]) is None
    moved = store.get("streams", strava.id)
    assert len(moved.time_s) == len(points) and moved.time_s[0] == pytest.approx(-10.0)
    # The index of imported files pointed at the file's activity: it now learns the Strava one.
    before = snapshot(store, seen=False)
    again = import_paths(store, [tmp_path / "run.fit"], now=NOW)
    assert again.duplicates == 1 and snapshot(store, seen=False) == before
    assert again.outcomes[0].activity_id == strava.id
    assert absorb_file_duplicates(store, [strava]) == []


def test_one_bad_file_does_not_stop_the_batch(store, tmp_path):
    good = samples(DAY)
    (tmp_path / "good.fit").write_bytes(fit_bytes(good))
    (tmp_path / "cut.fit").write_bytes(fit_bytes(samples(DAY + timedelta(days=1)))[:300])
    (tmp_path / "future.gpx").write_text(gpx_text(samples(NOW + timedelta(days=3))))
    (tmp_path / "wrong.tcx").write_bytes(fit_bytes(samples(DAY + timedelta(days=2))))
    (tmp_path / "good.tcx").write_bytes(tcx_bytes(samples(DAY + timedelta(days=4))))
    summary = import_paths(store, [tmp_path], now=NOW)
    assert (summary.imported, summary.rejected) == (2, 3)
    reasons = {Path(o.ref).name: o.reason for o in summary.rejections}
    assert "truncated" in reasons["cut.fit"]
    assert "future" in reasons["future.gpx"]
    assert "FIT" in reasons["wrong.tcx"]
    quarantined = {Path(r.ref).name: r.reason for r in store.query("rejected")}
    assert quarantined == reasons
    # Fixed and imported again: its quarantine entry goes, the others stay.
    (tmp_path / "cut.fit").write_bytes(fit_bytes(samples(DAY + timedelta(days=1))))
    again = import_paths(store, [tmp_path], now=NOW)
    assert (again.imported, again.rejected) == (1, 2)
    remaining = {Path(r.ref).name for r in store.query("rejected")}
    assert remaining == {"future.gpx", "wrong.tcx"}


def test_a_strava_export_imports_with_its_names_and_types(store, tmp_path):
    entries = export_entries()
    archive = tmp_path / "export_123.zip"
    archive.write_bytes(export_zip(entries))
    summary = import_paths(store, [archive], now=NOW)
    assert (summary.imported, summary.rejected) == (len(entries), 0)
    stored = {a.name: a for a in store.query("activities")}
    assert set(stored) == {e.name for e in entries}
    for entry in entries:
        activity = stored[entry.name]
        assert activity.start_time == entry.start
        assert activity.sport_type == {"Run": "Run", "Trail Run": "TrailRun",
                                       "Weight Training": "WeightTraining"}[entry.kind]
        assert activity.distance_m == pytest.approx(entry.distance_m, rel=0.02, abs=0.1)
    gym = stored["Gym"]
    assert gym.elapsed_time_s == 3600 and gym.summary_polyline is None
    assert store.get("streams", gym.id) is None
    assert all(stored[e.name].summary_polyline for e in entries if e.filename)
    before = snapshot(store)
    again = import_paths(store, [archive], now=NOW)
    assert again.duplicates == len(entries)
    assert snapshot(store) == before


def test_an_export_and_a_fit_folder_show_on_the_running_page(sqlite_store, tmp_path):
    from dashboard import data
    from dashboard.logic import running

    garmin = tmp_path / "garmin"
    garmin.mkdir()
    for d in range(3):
        (garmin / f"{d}.fit").write_bytes(fit_bytes(samples(DAY + timedelta(days=d))))
    points = samples(DAY + timedelta(days=10), n=90)
    entry = ExportEntry(42, points[0].time, "Export trail", "Trail Run", points[-1].distance_m,
                        450.0, filename="activities/42.fit.gz", content=gz(fit_bytes(points)))
    (tmp_path / "export.zip").write_bytes(export_zip([entry]))
    summary = import_paths(sqlite_store, [garmin, tmp_path / "export.zip"], now=NOW)
    assert summary.imported == 4

    runs = data.activities(sqlite_store, runs_only=True)
    assert len(runs) == 4 and "Export trail" in set(runs["name"])
    lats, lons, ids = running.routes(runs)
    assert set(i for i in ids if i) == set(runs["id"])
    chosen = runs[runs["name"] == "Export trail"].iloc[0].to_dict()
    figure = running.run_map(runs, chosen["id"])
    assert [t.name for t in figure.data] == ["runs", "selected run"]
    stream = sqlite_store.get("streams", chosen["id"])
    graph = running.session(stream, chosen)
    assert {t.name for t in graph.data} == {"pace", "elevation", "heart rate"}
    assert len(graph.data[0].x) > 10


def test_a_multisport_file_stores_its_legs_as_one_upload_and_its_run_is_a_run(store, tmp_path):
    from dashboard import data
    from serverless_tests.collectors.sources.files.fitgen import Leg, fit_file

    start = DAY + timedelta(hours=2)
    legs = [Leg("cycling", start, n=200, speed_mps=9.0),
            Leg("transition", start + timedelta(minutes=17), n=6),
            Leg("running", start + timedelta(minutes=18), n=150, speed_mps=3.5),
            # Two strength legs with no distance, 40 s apart: legs, not copies of each other.
            Leg("training", start + timedelta(minutes=32), n=6, speed_mps=0.0),
            Leg("training", start + timedelta(minutes=32, seconds=40), n=6, speed_mps=0.0)]
    (tmp_path / "brick.fit").write_bytes(fit_file(legs))
    summary = import_paths(store, [tmp_path / "brick.fit"], now=NOW)
    assert (summary.imported, summary.duplicates, summary.rejected) == (1, 0, 0)
    stored = store.query("activities")
    assert [(a.sport_type, a.leg, a.legs) for a in stored] == [
        ("Ride", 1, 4), ("Run", 2, 4), ("Workout", 3, 4), ("Workout", 4, 4)]
    assert len({a.event_id for a in stored}) == 1
    assert all(store.get("streams", a.id) is not None for a in stored)
    runs = data.activities(store, runs_only=True)
    assert list(runs["distance_m"]) == [pytest.approx(legs[2].distance_m, abs=0.1)]
    before = snapshot(store)
    again = import_paths(store, [tmp_path / "brick.fit"], now=NOW)
    assert (again.imported, again.duplicates) == (0, 1)
    assert snapshot(store) == before
    # Another copy of the same recording (other bytes): each leg finds its own twin.
    (tmp_path / "brick.fit.gz").write_bytes(gz(fit_file(legs)))
    copy = import_paths(store, [tmp_path / "brick.fit.gz"], now=NOW)
    assert (copy.imported, copy.duplicates) == (0, 1)
    assert store.query("activities") == stored


def test_a_later_file_with_heart_rate_fills_an_activity_recorded_without(store, tmp_path):
    import dataclasses

    points = samples(DAY, n=100)
    strapless = [dataclasses.replace(p, heartrate_bpm=0) for p in points]
    (tmp_path / "watch.gpx").write_text(gpx_text(strapless))
    (tmp_path / "strap.fit").write_bytes(fit_bytes(points))
    import_paths(store, [tmp_path / "watch.gpx"], now=NOW)
    [first] = store.query("activities")
    assert first.average_heartrate_bpm is None
    assert store.get("streams", first.id).heartrate_bpm is None
    summary = import_paths(store, [tmp_path / "strap.fit"], now=NOW)
    assert summary.duplicates == 1
    [kept] = store.query("activities")
    assert kept.id == first.id
    hrs = [p.heartrate_bpm for p in points]
    assert kept.average_heartrate_bpm == pytest.approx(sum(hrs) / len(hrs), abs=1)
    assert len(store.get("streams", kept.id).heartrate_bpm) == len(points)


def test_a_leg_with_impossible_totals_is_quarantined_and_the_others_imported(store, tmp_path):
    from serverless_tests.collectors.sources.files.fitgen import Leg, fit_file

    start = DAY + timedelta(hours=2)
    legs = [Leg("cycling", start, n=200, speed_mps=9.0),
            Leg("running", start + timedelta(minutes=18), n=150, speed_mps=3.5,
                totals={"ascent": 60_000})]
    (tmp_path / "brick.fit").write_bytes(fit_file(legs))
    summary = import_paths(store, [tmp_path / "brick.fit"], now=NOW)
    assert (summary.imported, summary.rejected) == (1, 1)
    [refusal] = summary.rejections
    assert refusal.ref == f"{tmp_path / 'brick.fit'}#leg2" and "impossible" in refusal.reason
    assert [a.sport_type for a in store.query("activities")] == ["Ride"]
    assert [r.reason for r in store.query("rejected")] == [refusal.reason]


def test_a_strava_export_after_the_watch_file_names_the_activity_as_on_strava(store, tmp_path):
    points = samples(DAY, n=90)
    (tmp_path / "watch").mkdir()
    (tmp_path / "watch" / "0529.fit").write_bytes(fit_bytes(points))
    import_paths(store, [tmp_path / "watch"], now=NOW)
    [watch] = store.query("activities")
    assert watch.name == f"Run {DAY:%Y-%m-%d}"
    entries = [
        # The same recording, re-compressed by Strava: other bytes, the same activity.
        ExportEntry(1, points[0].time, "Laufen Landal Park", "Trail Run", points[-1].distance_m,
                    450.0, filename="activities/1.fit.gz", content=gz(fit_bytes(points))),
    ]
    (tmp_path / "export.zip").write_bytes(export_zip(entries))
    summary = import_paths(store, [tmp_path / "export.zip"], now=NOW)
    assert summary.duplicates == 1 and "named as on Strava" in summary.outcomes[0].reason
    [named] = store.query("activities")
    assert (named.id, named.name, named.sport_type) == (watch.id, "Laufen Landal Park",
                                                        "TrailRun")
    # The export holding the watch's very bytes names it too (answered without parsing).
    other = samples(DAY + timedelta(days=1), n=90)
    (tmp_path / "watch" / "0530.fit").write_bytes(fit_bytes(other))
    import_paths(store, [tmp_path / "watch" / "0530.fit"], now=NOW)
    same = [ExportEntry(2, other[0].time, "Dünenlauf", "Run", other[-1].distance_m, 450.0,
                        filename="activities/2.fit", content=fit_bytes(other))]
    (tmp_path / "export2.zip").write_bytes(export_zip(same))
    import_paths(store, [tmp_path / "export2.zip"], now=NOW)
    assert [a.name for a in store.query("activities")] == ["Laufen Landal Park", "Dünenlauf"]

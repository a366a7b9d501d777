"""Importing files, folders and Strava's export into a store: duplicates, rejections, the CLI."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import settings
from collectors import files
from collectors.dedupe import absorb_file_duplicates, find_duplicate
from collectors.files import Limits, import_bytes, import_paths
from demo.activity_files import (
    ExportEntry,
    export_zip,
    fit_bytes,
    gpx_text,
    gz,
    samples,
    tcx_bytes,
)
from storage import Activity, ActivityStream, StoreError, open_store
from storage.base import Store

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)


def snapshot(store: Store, seen: bool = True) -> dict[str, list]:
    """Everything an import may write; `seen` includes the index of files already imported."""
    out: dict[str, list] = {kind: [r.to_dict() for r in store.query(kind)]
                            for kind in ("activities", "streams", "rejected")}
    out["sync"] = [d.data for d in store.list_docs("sync").values()]
    if seen:
        out["seen"] = sorted((k, d.version, d.data)
                             for k, d in store.list_docs(files.SEEN_SPACE).items())
    return out


def garmin_folder(root: Path, days: int = 4) -> list[list]:
    """A Garmin-like folder: one FIT per day (some gzipped, one in a subfolder) plus clutter."""
    root.mkdir(parents=True, exist_ok=True)
    runs = []
    for d in range(days):
        points = samples(DAY + timedelta(days=d), n=80 + 10 * d, speed_mps=2.8 + 0.1 * d)
        runs.append(points)
        data = fit_bytes(points)
        if d % 2:
            (root / f"{d:03d}.fit.gz").write_bytes(gz(data))
        elif d == 2:
            (root / "sub").mkdir(exist_ok=True)
            (root / "sub" / f"{d:03d}.FIT").write_bytes(data)
        else:
            (root / f"{d:03d}.fit").write_bytes(data)
    (root / "readme.txt").write_text("not an activity")
    (root / ".DS_Store").write_bytes(b"\0\0")
    return runs


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
    monkeypatch.setattr(files, "read_activity", no_parsing)
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
    assert store.query("activities") == [strava]
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
    activity, _ = files.read_activity("a.fit", fit_bytes(points), NOW)
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


# --- Strava's export ---------------------------------------------------------------------------


def export_entries() -> list[ExportEntry]:
    entries = []
    for d in range(3):
        points = samples(DAY + timedelta(days=2 * d), n=90)
        fmt = ("fit", "gpx", "tcx")[d]
        content = {"fit": gz(fit_bytes(points)), "gpx": gpx_text(points, sport="9").encode(),
                   "tcx": gz(tcx_bytes(points, sport="Other", leading_blank=True))}[fmt]
        suffix = {"fit": ".fit.gz", "gpx": ".gpx", "tcx": ".tcx.gz"}[fmt]
        entries.append(ExportEntry(
            activity_id=1000 + d, start=points[0].time, name=f"Export run {d}",
            kind="Trail Run" if d == 2 else "Run", distance_m=points[-1].distance_m,
            elapsed_s=(points[-1].time - points[0].time).total_seconds(),
            filename=f"activities/{1000 + d}{suffix}", content=content))
    entries.append(ExportEntry(activity_id=2000, start=DAY + timedelta(days=1, hours=12),
                               name="Gym", kind="Weight Training", distance_m=0, elapsed_s=3600))
    return entries


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


def test_zip_slip_members_are_rejected_and_the_rest_imported(store, tmp_path):
    points = samples(DAY)
    archive = tmp_path / "evil.zip"
    archive.write_bytes(export_zip(export_entries()[:1], extra={
        "../../outside.fit": fit_bytes(points),
        "/etc/cron.d/job.fit": fit_bytes(points),
    }))
    summary = import_paths(store, [archive], now=NOW)
    assert summary.imported == 1
    assert summary.rejected == 2
    assert all("outside the archive" in o.reason for o in summary.rejections)
    assert not (tmp_path.parent / "outside.fit").exists()


def test_an_archive_expanding_past_the_limit_is_rejected(store, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities/bomb.fit", b"\0" * (3 * 2**20))
    (tmp_path / "bomb.zip").write_bytes(buffer.getvalue())
    (tmp_path / "fine.fit").write_bytes(fit_bytes(samples(DAY)))
    summary = import_paths(store, [tmp_path / "bomb.zip", tmp_path / "fine.fit"], now=NOW,
                           limits=Limits(file_bytes=2**20, archive_bytes=2 * 2**20))
    assert summary.imported == 1
    [refusal] = summary.rejections
    assert refusal.ref.endswith("bomb.zip") and "over the 2 MB limit" in refusal.reason


def test_an_export_member_over_the_file_limit_is_rejected_not_imported_from_csv(store):
    entry = ExportEntry(5, DAY, "Huge", "Run", 5000.0, 1500.0, filename="activities/5.fit",
                        content=b"\0" * (2 * 2**20))
    summary = import_bytes(store, "export.zip", export_zip([entry]), now=NOW,
                           limits=Limits(file_bytes=2**20))
    assert (summary.imported, summary.rejected) == (0, 1)
    assert "limit" in summary.rejections[0].reason
    assert store.count("activities") == 0


def test_a_member_lying_about_its_size_is_rejected_not_inflated(sqlite_store):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities/liar.fit", b"\0" * (3 * 2**20))
        zf.writestr("activities/ok.fit", fit_bytes(samples(DAY)))
    data = bytearray(buffer.getvalue())
    # Declared size rewritten to 1 KB: reading stops there and the checksum gives the lie away.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("activities/liar.fit")
    marker = (3 * 2**20).to_bytes(4, "little")
    data = bytes(data).replace(marker, (1024).to_bytes(4, "little"))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.getinfo("activities/liar.fit").file_size == 1024 != info.file_size
    summary = import_bytes(sqlite_store, "upload.zip", data, now=NOW,
                           limits=Limits(file_bytes=2**20, archive_bytes=8 * 2**20))
    assert summary.imported == 1
    [refusal] = summary.rejections
    assert refusal.ref.endswith("liar.fit") and "damaged" in refusal.reason


# --- command line ------------------------------------------------------------------------------


def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("PULSEBOARD_STORE", f"sqlite:///{db}")
    settings.reset()
    return db


def test_cli_imports_and_summarises(tmp_path, monkeypatch, capsys):
    db = cli_env(tmp_path, monkeypatch)
    runs = garmin_folder(tmp_path / "garmin", days=2)
    (tmp_path / "garmin" / "cut.fit").write_bytes(b"\x0e\x20" + b"\0" * 20)
    code = files.main(["import", str(tmp_path / "garmin")])
    out = capsys.readouterr().out
    assert code == 0
    assert f"Imported {len(runs)}, duplicates 0, rejected 1" in out
    assert "cut.fit" in out
    with open_store(f"sqlite:///{db}") as store:
        assert store.count("activities") == len(runs)


def test_cli_missing_path_is_an_error_in_one_line(tmp_path, monkeypatch, capsys):
    cli_env(tmp_path, monkeypatch)
    code = files.main(["import", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 1
    assert "no such file or folder" in err and "Traceback" not in err


def test_cli_store_error_shows_a_traceback_only_with_debug(tmp_path, monkeypatch, capsys):
    cli_env(tmp_path, monkeypatch)
    (tmp_path / "a.fit").write_bytes(fit_bytes(samples(DAY)))

    def failing(*args, **kwargs):
        raise StoreError("the store is unreachable")

    monkeypatch.setattr(files, "import_paths", failing)
    assert files.main(["import", str(tmp_path / "a.fit")]) == 1
    first = capsys.readouterr().err
    assert "the store is unreachable" in first and "Traceback" not in first
    assert files.main(["import", str(tmp_path / "a.fit"), "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_parsing_in_worker_processes_gives_the_same_store(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for d in range(files.PARALLEL_MIN_ITEMS + 2):
        points = samples(DAY + timedelta(days=d), n=40)
        name, data = (f"{d}.fit", fit_bytes(points)) if d % 3 else (f"{d}.gpx",
                                                                     gpx_text(points).encode())
        (folder / name).write_bytes(data)
    (folder / "cut.fit").write_bytes(fit_bytes(samples(DAY))[:100])
    results = {}
    for workers in (1, 2):
        with open_store(f"sqlite:///{tmp_path / f'w{workers}.db'}") as store:
            summary = import_paths(store, [folder], now=NOW, workers=workers)
            results[workers] = (summary.outcomes, snapshot(store))
    assert results[2] == results[1]
    assert sum(o.status == "imported" for o in results[2][0]) == files.PARALLEL_MIN_ITEMS + 2

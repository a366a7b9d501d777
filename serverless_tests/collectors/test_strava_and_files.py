"""A run both on Strava and in an imported file is one activity, whichever reached the store
first: end to end against the stand-ins, on both store adapters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import settings
from collectors.common import COMPLETE
from collectors.edge import sync_source
from collectors.sources.files import import_paths
from demo.activity_files import fit_bytes, gz
from demo.athlete_files import WATCH_LEAD_S, watch_copy, watch_run
from serverless_tests.collectors.conftest import expected
from serverless_tests.conftest import make_store
from storage.base import Store

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "dynamodb"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Store]]:
    """Two empty stores of one adapter: one per order of arrival."""
    made = []
    for name in ("file-first", "strava-first"):
        (tmp_path / name).mkdir()
        made.append(make_store(request.param, tmp_path / name, request))
    yield made
    for store in made:
        store.close()


def snapshot(store: Store) -> dict[str, list[dict[str, Any]]]:
    return {kind: [r.to_dict() for r in store.query(kind)]
            for kind in ("activities", "streams", "rejected")}


def watch_folder(athlete: Any, folder: Path) -> tuple[dict[str, Any], list[Any]]:
    """The watch's copy of a Strava run whose Strava streams lack heart rate, and a run the
    watch alone recorded. Returns the Strava run and the copy's samples."""
    copied = next(a for a in athlete.runs() if a["id"] in athlete.streams
                  and "latlng" in athlete.streams[a["id"]])
    athlete.edit_activity(copied["id"], average_heartrate=None)
    assert "heartrate" not in athlete.streams[copied["id"]]
    folder.mkdir()
    copy = watch_copy(athlete, copied)
    (folder / "copy.fit").write_bytes(fit_bytes(copy))
    only = watch_run(athlete, datetime(2026, 11, 20, 17, 30, tzinfo=UTC), 5_000, key=1)
    (folder / "only.fit.gz").write_bytes(gz(fit_bytes(only)))
    return copied, copy


def check(store: Store, athlete: Any, copied: dict[str, Any], copy: list[Any]) -> None:
    """One activity for the run (Strava's), its Strava stream with the watch's heart rate."""
    want = expected(athlete)
    activities = store.query("activities")
    files = [a for a in activities if a.source == "file"]
    assert {a.id for a in activities} == want["activities"] | {a.id for a in files}
    assert len(files) == 1 and files[0].start_time == datetime(2026, 11, 20, 17, 30, tzinfo=UTC)
    [kept] = [a for a in activities if a.id == str(copied["id"])]
    assert kept.source == "strava" and kept.distance_m == copied["distance"]
    streams = {s.activity_id: s for s in store.query("streams")}
    assert set(streams) == want["runs"] | {files[0].id}
    stream = streams[kept.id]
    strava = athlete.streams[copied["id"]]
    assert stream.time_s == strava["time"] and stream.distance_m == strava["distance"]
    assert stream.heartrate_bpm is not None and len(stream.heartrate_bpm) == len(stream.time_s)
    # Strava's time t is the watch's t + WATCH_LEAD_S: the heart rate lines up in time.
    by_time = {round((p.time - copy[0].time).total_seconds()): p.heartrate_bpm for p in copy}
    for index in range(0, len(stream.time_s), 97):
        watch_t = round(stream.time_s[index]) + WATCH_LEAD_S
        if watch_t in by_time:
            assert stream.heartrate_bpm[index] == pytest.approx(by_time[watch_t], abs=1)


def test_a_run_on_strava_and_in_a_file_is_one_activity_in_either_order(
    two_stores, standins, athlete, tmp_path, monkeypatch
):
    file_first, strava_first = two_stores
    copied, copy = watch_folder(athlete, tmp_path / "watch")

    # File first: both files are new; Strava's sync then absorbs the copy into its run.
    imported = import_paths(file_first, [tmp_path / "watch"], now=NOW)
    assert (imported.imported, imported.duplicates) == (2, 0)
    synced = sync_source("strava", file_first, None)
    assert synced.outcome == COMPLETE and synced.files_absorbed == 1
    assert ", 1 imported file merged into its activities" in synced.line()
    check(file_first, athlete, copied, copy)
    done = snapshot(file_first)
    again = sync_source("strava", file_first, None)
    assert again.outcome == COMPLETE and again.stored == 0 and again.files_absorbed == 0
    reimported = import_paths(file_first, [tmp_path / "watch"], now=NOW)
    assert (reimported.imported, reimported.duplicates) == (0, 2)
    assert snapshot(file_first) == done

    # Strava first, in a fresh store seeded with the refresh token the stand-in accepts now.
    monkeypatch.setenv("PULSEBOARD_STRAVA_REFRESH_TOKEN", standins.current_refresh_token("strava"))
    settings.reset()
    assert sync_source("strava", strava_first, None).outcome == COMPLETE
    imported = import_paths(strava_first, [tmp_path / "watch"], now=NOW)
    assert (imported.imported, imported.duplicates) == (1, 1)
    [duplicate] = [o for o in imported.outcomes if o.status == "duplicate"]
    assert duplicate.activity_id == str(copied["id"]) and "stream filled" in duplicate.reason
    check(strava_first, athlete, copied, copy)
    assert sync_source("strava", strava_first, None).stored == 0
    assert import_paths(strava_first, [tmp_path / "watch"], now=NOW).duplicates == 2

    # Either way, the same store.
    assert snapshot(strava_first) == done


def test_a_file_absorbed_before_strava_s_stream_is_rejected_keeps_the_file_s_stream(
    sqlite_store, standins, athlete, tmp_path
):
    copied, copy = watch_folder(athlete, tmp_path / "watch")
    import_paths(sqlite_store, [tmp_path / "watch" / "copy.fit"], now=NOW)
    standins.faults.bad_streams(copied["id"])
    synced = sync_source("strava", sqlite_store, None)
    assert synced.outcome == COMPLETE and synced.rejected == 1
    assert [r.ref for r in sqlite_store.query("rejected")] == [f"streams {copied['id']}"]
    assert [a.source for a in sqlite_store.query("activities")
            if abs((a.start_time - copy[0].time).total_seconds()) < 60] == ["strava"]
    stream = sqlite_store.get("streams", str(copied["id"]))
    assert stream is not None and len(stream.time_s) == len(copy)
    assert stream.time_s[0] == pytest.approx(-WATCH_LEAD_S)

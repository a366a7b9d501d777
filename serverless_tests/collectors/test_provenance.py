"""Provenance: a Strava activity that the owner's own file brought too says so (`also_from`),
whichever came first, and a later Strava sync keeps it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import settings
from collectors import dedupe
from collectors.common import COMPLETE
from collectors.edge import sync_source
from collectors.sources.files import import_paths
from models.features import FILE, STRAVA_API, provenance
from serverless_tests.collectors.test_strava_and_files import NOW, watch_folder
from storage.records import Activity

RUN = Activity(id="1", source="strava", start_time=datetime(2026, 11, 20, 7, tzinfo=UTC),
               sport_type="Run", distance_m=10_000.0)


def test_file_provenance_is_added_once_and_never_to_a_file():
    marked = dedupe.with_file_provenance(RUN)
    assert marked.also_from == "file" and provenance(marked) == FILE
    assert dedupe.with_file_provenance(marked) is marked
    other = replace(RUN, also_from="export")
    assert dedupe.with_file_provenance(other).also_from == "export,file"
    own = replace(RUN, source="file")
    assert dedupe.with_file_provenance(own) is own


def test_a_fresh_copy_keeps_what_the_stored_one_knew():
    fresh = replace(RUN, name="Renamed on Strava")
    kept = dedupe.kept_provenance(fresh, replace(RUN, also_from="file"))
    assert kept.also_from == "file" and kept.name == "Renamed on Strava"
    assert dedupe.kept_provenance(fresh, None) is fresh
    assert dedupe.kept_provenance(fresh, RUN) is fresh
    assert provenance(fresh) == STRAVA_API


def _strava_copy(store, copied) -> Activity:
    [kept] = [a for a in store.query("activities") if a.id == str(copied["id"])]
    assert kept.source == "strava"
    return kept


def test_a_file_absorbed_by_a_strava_sync_marks_the_activity(sqlite_store, standins, athlete,
                                                             tmp_path):
    copied, _ = watch_folder(athlete, tmp_path / "watch")
    import_paths(sqlite_store, [tmp_path / "watch"], now=NOW)
    assert sync_source("strava", sqlite_store, None).files_absorbed == 1
    assert _strava_copy(sqlite_store, copied).also_from == "file"
    others = [a for a in sqlite_store.query("activities")
              if a.source == "strava" and a.id != str(copied["id"])]
    assert others and all(a.also_from == "" for a in others)
    # Strava edits the run; the next sync stores Strava's new copy, and keeps the provenance.
    athlete.edit_activity(copied["id"], name="Renamed on Strava")
    again = sync_source("strava", sqlite_store, None)
    assert again.outcome == COMPLETE and again.stored >= 1
    kept = _strava_copy(sqlite_store, copied)
    assert kept.name == "Renamed on Strava" and kept.also_from == "file"


def test_a_file_that_is_a_strava_activity_already_marks_it(sqlite_store, standins, athlete,
                                                           tmp_path, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_STRAVA_REFRESH_TOKEN", standins.current_refresh_token("strava"))
    settings.reset()
    copied, _ = watch_folder(athlete, tmp_path / "watch")
    assert sync_source("strava", sqlite_store, None).outcome == COMPLETE
    assert _strava_copy(sqlite_store, copied).also_from == ""
    imported = import_paths(sqlite_store, [tmp_path / "watch"], now=NOW)
    assert imported.duplicates == 1
    assert _strava_copy(sqlite_store, copied).also_from == "file"
    assert sync_source("strava", sqlite_store, None).outcome == COMPLETE
    assert _strava_copy(sqlite_store, copied).also_from == "file"
    # importing the file again changes nothing
    before = [a.to_dict() for a in sqlite_store.query("activities")]
    import_paths(sqlite_store, [tmp_path / "watch"], now=NOW)
    assert [a.to_dict() for a in sqlite_store.query("activities")] == before

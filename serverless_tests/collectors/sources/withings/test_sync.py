"""Withings' sync: the lastupdate cursor, and paging resumed one page back after a stop."""

from __future__ import annotations

import json

import settings
from collectors.common import COMPLETE, ERROR
from collectors.sources.withings.sync import Cursor
from serverless_tests.collectors.conftest import assert_complete, killer, run
from storage import open_store


def test_cursor_reads_every_form_it_was_stored_in():
    assert Cursor.load(None) == Cursor()
    assert Cursor.load("1763600000") == Cursor(lastupdate=1_763_600_000)  # a plain epoch
    assert Cursor.load("1763600000.5") == Cursor(lastupdate=1_763_600_000)
    scan = {"lastupdate": 0, "offset": 10, "updatetime": 5, "last_size": 5}
    assert Cursor.load(Cursor(7, scan).dump()) == Cursor(7, scan)
    assert json.loads(Cursor(7).dump()) == {"lastupdate": 7, "scan": None}


def test_a_stopped_backfill_resumes_one_page_back(sqlite_store, standins, athlete, tmp_path,
                                                  monkeypatch):
    clean = open_store(f"sqlite:///{tmp_path / 'clean.db'}")
    groups = run("withings", clean).fetched
    clean.close()
    # The test store is seeded with the refresh token the stand-in accepts now (it rotated).
    monkeypatch.setenv("PULSEBOARD_WITHINGS_REFRESH_TOKEN",
                       standins.current_refresh_token("withings"))
    settings.reset()
    killed = run("withings", sqlite_store, after_batch=killer(2))
    assert killed.outcome == ERROR and killed.fetched == 10  # two pages of five
    cursor = Cursor.load(sqlite_store.get_cursor("withings"))
    assert cursor.scan is not None and (cursor.scan["offset"], cursor.scan["last_size"]) == (10, 5)
    resumed = run("withings", sqlite_store)
    assert resumed.outcome == COMPLETE and resumed.fetched == groups - 10 + 5
    assert Cursor.load(sqlite_store.get_cursor("withings")).scan is None
    assert_complete(sqlite_store, athlete, ("withings",))


def test_a_typed_in_weight_s_zero_fat_is_never_stored(sqlite_store, standins, athlete):
    from datetime import UTC, datetime

    from storage.records import Measurement

    assert run("withings", sqlite_store).outcome == COMPLETE
    typed = athlete.add_weighin(71.3, fat_ratio_pct=0.0)
    when = datetime.fromtimestamp(typed["date"], UTC)
    # As an earlier version stored it: a 0 % reading.
    sqlite_store.put([Measurement(when, "fat_ratio_pct", 0.0, "withings", f"{typed['grpid']}:6")])
    counts = run("withings", sqlite_store)
    assert counts.outcome == COMPLETE and counts.deleted == 1
    fat = [m.value for m in sqlite_store.query("measurements", "fat_ratio_pct")]
    assert fat and 0.0 not in fat
    weights = {m.source_id: m.value for m in sqlite_store.query("measurements", "weight_kg")}
    assert weights[f"{typed['grpid']}:1"] == 71.3

"""Strava's sync against the stand-in: re-scans, crops, moves, deletions, the request budget,
quarantined streams and kills between writes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from collectors.common import BUDGET, COMPLETE, ERROR
from serverless_tests.collectors.conftest import (
    Killed,
    assert_complete,
    expected,
    run,
    stored_ids,
    stream_ids,
)
from storage.records import Activity, parse_iso_utc


def test_a_cropped_run_gets_its_streams_again(sqlite_store, standins, athlete):
    run("strava", sqlite_store)
    recent = next(a for a in athlete.runs() if not a.get("manual"))
    athlete.edit_activity(recent["id"], distance=recent["distance"] - 500)
    standins.clear_log()
    counts = run("strava", sqlite_store)
    assert counts.outcome == COMPLETE
    assert standins.requests("strava") == 2  # the list and the run's streams
    [stream] = [s for s in sqlite_store.query("streams") if s.activity_id == str(recent["id"])]
    assert stream.distance_m == athlete.streams[recent["id"]]["distance"]


def test_a_start_time_edit_moves_the_activity_and_keeps_its_streams(sqlite_store, standins,
                                                                    athlete):
    run("strava", sqlite_store)
    moved = next(a for a in athlete.runs() if not a.get("manual"))
    # Out of the re-scan window altogether: only asking for it finds where it went.
    athlete.edit_activity(moved["id"], start_date="2025-06-01T07:00:00Z")
    counts = run("strava", sqlite_store)
    assert counts.outcome == COMPLETE and counts.deleted == 0
    [stored] = [a for a in sqlite_store.query("activities") if a.id == str(moved["id"])]
    assert stored.start_time.isoformat().startswith("2025-06-01T07:00:00")
    assert str(moved["id"]) in stream_ids(sqlite_store)
    assert_complete(sqlite_store, athlete, ("strava",))


def test_request_budget_stops_cleanly_and_the_next_run_carries_on(sqlite_store, standins,
                                                                 athlete):
    first = run("strava", sqlite_store, request_budget=6)
    assert first.outcome == BUDGET and "streams left" in first.message
    assert standins.requests("strava", "data") <= 6
    assert stored_ids(sqlite_store) == expected(athlete)["activities"]
    assert 0 < len(stream_ids(sqlite_store)) < len(expected(athlete)["runs"])
    for _ in range(10):
        standins.clear_log()
        again = run("strava", sqlite_store, request_budget=6)
        assert standins.requests("strava", "data") <= 6
        if again.outcome == COMPLETE:
            break
    assert again.outcome == COMPLETE
    assert_complete(sqlite_store, athlete, ("strava",))


def test_strava_read_limit_from_the_headers_stops_the_run(sqlite_store, standins):
    standins.faults.set_read_limits(8, 1000)
    counts = run("strava", sqlite_store)
    assert counts.outcome == BUDGET and "read limit" in counts.message
    # Stopped by the headers, before the stand-in had to answer 429.
    assert all(r.status != 429 for r in standins.log)


def test_a_stream_fetched_fine_leaves_quarantine(store, standins, athlete):
    runs = [a["id"] for a in athlete.runs() if a["id"] in athlete.streams]
    fixed, gone = runs[0], runs[1]
    standins.faults.bad_streams(fixed)
    standins.faults.bad_streams(gone)
    first = run("strava", store)
    assert first.outcome == COMPLETE and first.rejected == 2
    quarantined = store.query("rejected")
    assert {r.ref for r in quarantined} == {f"streams {fixed}", f"streams {gone}"}
    assert all("samples" in r.reason for r in quarantined)
    # An ordinary run does not ask again for streams Strava sent unreadable.
    standins.clear_log()
    assert run("strava", store).outcome == COMPLETE
    assert standins.requests("strava") == 1 and len(store.query("rejected")) == 2
    # Strava fixed one; the other activity was deleted there. --full reads the first again.
    standins.faults.bad_streams(fixed, bad=False)
    athlete.delete_activity(gone)
    again = run("strava", store, full=True)
    assert again.outcome == COMPLETE and again.rejected == 0 and again.deleted == 1
    assert store.query("rejected") == []
    assert_complete(store, athlete, ("strava",))


def test_a_cropped_run_whose_stream_reads_again_leaves_quarantine(sqlite_store, standins,
                                                                  athlete):
    bad = next(a for a in athlete.runs() if a["id"] in athlete.streams)
    standins.faults.bad_streams(bad["id"])
    run("strava", sqlite_store)
    assert [r.ref for r in sqlite_store.query("rejected")] == [f"streams {bad['id']}"]
    standins.faults.clear()
    athlete.edit_activity(bad["id"], distance=bad["distance"] - 300)
    assert run("strava", sqlite_store).outcome == COMPLETE
    assert sqlite_store.query("rejected") == []
    assert str(bad["id"]) in stream_ids(sqlite_store)


def test_killed_after_storing_a_page_before_saving_the_cursor_loses_no_streams(
    sqlite_store, standins, athlete, monkeypatch
):
    put = sqlite_store.put

    def put_then_die(records):
        records = list(records)
        written = put(records)
        if any(isinstance(r, Activity) for r in records):
            monkeypatch.setattr(sqlite_store, "put", put)  # once
            raise Killed("power cut")
        return written

    monkeypatch.setattr(sqlite_store, "put", put_then_die)
    killed = run("strava", sqlite_store, paged=True)
    assert killed.outcome == ERROR and "Killed" in killed.message
    assert 0 < len(stored_ids(sqlite_store)) and not stream_ids(sqlite_store)
    assert run("strava", sqlite_store, paged=True).outcome == COMPLETE
    assert_complete(sqlite_store, athlete, ("strava",))


def test_full_resync_after_an_old_activity_is_edited(sqlite_store, standins, athlete):
    run("strava", sqlite_store)
    oldest, newest = athlete.activities[-1], athlete.activities[0]
    assert _start(newest) - _start(oldest) > timedelta(days=8)
    athlete.edit_activity(oldest["id"], name="Edited long ago")
    # Outside the re-scan window: an ordinary run does not see it; --full does.
    run("strava", sqlite_store)
    names = {a.id: a.name for a in sqlite_store.query("activities")}
    assert names[str(oldest["id"])] != "Edited long ago"
    counts = run("strava", sqlite_store, full=True)
    assert counts.outcome == COMPLETE
    names = {a.id: a.name for a in sqlite_store.query("activities")}
    assert names[str(oldest["id"])] == "Edited long ago"


def _start(activity: dict[str, Any]) -> datetime:
    return parse_iso_utc(activity["start_date"])


def test_cursor_reads_every_form_it_was_stored_in():
    from collectors.sources.strava.sync import Cursor

    assert Cursor.load(None) == Cursor()
    assert Cursor.load("1763600000") == Cursor(newest=1_763_600_000)  # a plain epoch
    pending = [[1_763_600_000, "42", "file"]]
    kept = Cursor(9, {"after": 0, "before": 10, "page": 2, "fresh": True}, pending)
    assert Cursor.load(kept.dump()) == kept

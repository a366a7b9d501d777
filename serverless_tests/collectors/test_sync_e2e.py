"""The three syncs end to end against the loopback stand-ins, on both store adapters."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest

import settings
from collectors.common import BUDGET, COMPLETE, ERROR, RATE_LIMITED
from collectors.runner import sync_source
from serverless_tests.collectors.conftest import expected, store_url
from storage.base import Store, encode_record
from storage.records import MEASUREMENT_TYPES, Activity, parse_iso_utc

SOURCES = ("strava", "withings", "sheets")
PER_PAGE = 5  # small Strava pages so a few weeks of data still page


def run(source: str, store: Store, blobs: Any = None, paged: bool = False, **options: Any):
    """One sync; `paged` makes Strava ask for small pages so a few weeks of data still page."""
    if source == "strava" and paged:
        options["per_page"] = PER_PAGE
    return sync_source(source, store, blobs, **options)


def snapshot(store: Store) -> dict[str, set[str]]:
    kinds = {"activities": [""], "streams": [""], "lift_sets": [""], "rejected": [""],
             "measurements": list(MEASUREMENT_TYPES)}
    return {f"{kind}#{series}": {encode_record(r) for r in store.query(kind, series)}
            for kind, all_series in kinds.items() for series in all_series}


def stored_ids(store: Store) -> set[str]:
    return {a.id for a in store.query("activities")}


def stream_ids(store: Store) -> set[str]:
    return {s.activity_id for s in store.query("streams")}


def weight_ids(store: Store) -> set[str]:
    return {m.source_id for m in store.query("measurements", "weight_kg")}


def assert_complete(store: Store, athlete: Any, sources: tuple[str, ...] = SOURCES) -> None:
    want = expected(athlete)
    if "strava" in sources:
        assert stored_ids(store) == want["activities"]
        assert stream_ids(store) == want["runs"]
    if "withings" in sources:
        assert weight_ids(store) == want["weights"]
    if "sheets" in sources:
        assert store.count("lift_sets") + store.count("rejected") == want["rows"]


def test_backfill_then_a_second_run_uses_one_request_per_source(store, standins, athlete,
                                                                raw_blobs):
    want = expected(athlete)
    first = {s: run(s, store, raw_blobs, paged=True) for s in SOURCES}
    assert {s: c.outcome for s, c in first.items()} == dict.fromkeys(SOURCES, COMPLETE)
    assert_complete(store, athlete)
    rejected = store.query("rejected")
    assert {r.source for r in rejected} == {"sheets"} and len(rejected) == 4
    # Fewest requests: one per page of activities (the last one short) plus one stream per
    # run, plus the token refresh.
    pages = len(want["activities"]) // PER_PAGE + 1
    assert standins.requests("strava", "data") == pages + len(want["runs"])
    assert standins.requests("strava", "token") == 1
    assert first["strava"].requests == pages + len(want["runs"]) + 1
    # Every payload is kept raw.
    for source in SOURCES:
        assert raw_blobs.list(f"raw/{source}/"), source
    assert len(raw_blobs.list("raw/strava/")) == pages + len(want["runs"])

    before = snapshot(store)
    standins.clear_log()
    second = {s: run(s, store, raw_blobs, paged=True) for s in SOURCES}
    for source in SOURCES:
        assert standins.requests(source) == 1, source
        assert second[source].outcome == COMPLETE and second[source].requests == 1
        assert second[source].stored == 0 and second[source].deleted == 0
    assert snapshot(store) == before


def test_sync_status_is_recorded_for_the_dashboard(store, standins):
    run("withings", store)
    status = store.get_doc("sync", "withings")
    assert status is not None
    data = status.data
    assert data["last_outcome"] == "complete" and data["last_success_at"] == data["last_run_at"]
    assert data["requests"] == standins.requests("withings") > 1
    assert data["stored"] > 0 and data["fetched"] > 0
    standins.faults.rate_limit_after("withings", 0)
    run("withings", store)
    data2 = store.get_doc("sync", "withings").data
    assert data2["last_outcome"] == RATE_LIMITED and "601" in data2["message"]
    assert data2["last_success_at"] == data["last_success_at"]


def test_edits_are_picked_up(store, standins, athlete):
    for source in SOURCES:
        run(source, store)
    recent = athlete.activities[1]
    athlete.edit_activity(recent["id"], name="Renamed after the fact")
    group = next(g for g in athlete.measure_groups if g["category"] == 1)
    athlete.edit_weighin(group["grpid"], weight_kg=79.125)
    rows = [list(r) for r in athlete.sheet_rows]
    changed = next(i for i, r in enumerate(rows) if i and len(r) == 5 and r[4] not in ("", "8O"))
    rows[changed][3] = "7"
    athlete.set_sheet_rows(rows)
    standins.clear_log()
    counts = {s: run(s, store) for s in SOURCES}
    assert all(c.outcome == COMPLETE for c in counts.values())
    assert {a.id: a.name for a in store.query("activities")}[str(recent["id"])] == \
        "Renamed after the fact"
    weights = {m.source_id: m.value for m in store.query("measurements", "weight_kg")}
    assert weights[f"{group['grpid']}:1"] == 79.125
    assert [s.reps for s in store.query("lift_sets") if s.source_row == changed + 1] == [7]
    assert counts["strava"].stored == 1 and counts["withings"].stored >= 1
    assert counts["sheets"].stored == 1
    for source in SOURCES:
        assert standins.requests(source) == 1, source


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


def test_deletions_are_removed(store, standins, athlete):
    for source in ("strava", "sheets"):
        run(source, store)
    gone = next(a for a in athlete.runs() if not a.get("manual"))
    athlete.delete_activity(gone["id"])
    rows = [list(r) for r in athlete.sheet_rows]
    removed = rows.pop(1)
    athlete.set_sheet_rows(rows)
    counts = {s: run(s, store) for s in ("strava", "sheets")}
    assert counts["strava"].deleted == 1
    assert str(gone["id"]) not in stored_ids(store)
    assert str(gone["id"]) not in stream_ids(store)
    assert counts["sheets"].deleted == 1
    assert not [s for s in store.query("lift_sets")
                if (s.date.isoformat(), s.exercise, s.set_index) ==
                (removed[0], removed[1], int(removed[2]))]
    assert_complete(store, athlete, ("strava", "sheets"))


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


def test_new_data_arrives(store, standins, athlete):
    for source in ("strava", "withings"):
        run(source, store)
    added = athlete.add_activity(sport_type="Run", distance_m=6_000)
    weighin = athlete.add_weighin(80.5, fat_ratio_pct=18.25)
    standins.clear_log()
    counts = {s: run(s, store) for s in ("strava", "withings")}
    assert counts["strava"].stored == 2  # the activity and its streams
    assert str(added["id"]) in stored_ids(store) and str(added["id"]) in stream_ids(store)
    fat = {m.source_id: m.value for m in store.query("measurements", "fat_ratio_pct")}
    assert fat[f"{weighin['grpid']}:6"] == 18.25
    assert standins.requests("strava") == 2 and standins.requests("withings") == 1
    assert_complete(store, athlete, ("strava", "withings"))


def test_sheet_is_the_truth_rows_fixed_and_removed(store, standins, athlete):
    run("sheets", store)
    rows = [list(r) for r in athlete.sheet_rows]
    bad = next(i for i, r in enumerate(rows) if len(r) > 4 and r[4] == "8O")
    # Fixed: a weight that reads, as a set of its own.
    rows[bad][2], rows[bad][4] = "9", "80"
    athlete.set_sheet_rows(rows)
    counts = run("sheets", store)
    assert counts.rejected == 3
    refs = {r.ref for r in store.query("rejected")}
    assert f"row {bad + 1}" not in refs and len(refs) == 3
    assert [s.weight_kg for s in store.query("lift_sets") if s.source_row == bad + 1] == [80.0]


def test_rate_limit_mid_run_then_resume(store, standins, athlete):
    standins.faults.rate_limit_after("strava", 2)
    standins.faults.rate_limit_after("withings", 2)
    standins.faults.rate_limit_after("sheets", 0)
    first = {s: run(s, store, paged=True) for s in SOURCES}
    assert {s: c.outcome for s, c in first.items()} == dict.fromkeys(SOURCES, RATE_LIMITED)
    assert "progress saved" in first["strava"].message
    assert 0 < len(stored_ids(store)) < len(expected(athlete)["activities"])
    standins.faults.clear()
    second = {s: run(s, store, paged=True) for s in SOURCES}
    assert {s: c.outcome for s, c in second.items()} == dict.fromkeys(SOURCES, COMPLETE)
    assert_complete(store, athlete)
    # Resumed, not restarted: at most one page is read twice.
    assert first["strava"].fetched + second["strava"].fetched <= \
        len(expected(athlete)["activities"]) + PER_PAGE + len(expected(athlete)["runs"])


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


class Killed(Exception):
    pass


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


# Strava: 4 pages of activities then 13 streams; Withings: 5 pages.
@pytest.mark.parametrize(("strava_at", "withings_at"), [(1, 1), (3, 2), (7, 3)])
def test_killed_mid_run_then_resumed_loses_nothing(store, standins, athlete, strava_at,
                                                   withings_at):
    def killer(kill_at: int) -> Any:
        calls = {"n": 0}

        def after_batch(_: int) -> None:
            calls["n"] += 1  # pages, then (Strava) streams
            if calls["n"] == kill_at:
                raise Killed("power cut")

        return after_batch

    killed = {"strava": run("strava", store, paged=True, after_batch=killer(strava_at)),
              "withings": run("withings", store, after_batch=killer(withings_at))}
    assert all(c.outcome == ERROR and "Killed" in c.message for c in killed.values())
    resumed = {s: run(s, store, paged=True) for s in ("strava", "withings", "sheets")}
    assert all(c.outcome == COMPLETE for c in resumed.values())
    assert_complete(store, athlete)


def test_two_syncs_at_once_keep_the_refresh_token_chain(store, standins, athlete):
    # A slow token endpoint makes the two runs overlap while one of them refreshes.
    standins.faults.slow("strava", 0.05)
    standins.faults.slow("withings", 0.3)
    results: list[Any] = []
    start = threading.Barrier(4)

    def go(source: str) -> None:
        start.wait()
        results.append(run(source, store))

    threads = [threading.Thread(target=go, args=(s,)) for s in ("strava", "strava",
                                                                "withings", "withings")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [c.outcome for c in results] == [COMPLETE] * 4, [c.message for c in results]
    for source in ("strava", "withings"):
        assert standins.requests(source, "token") == 1, source
        doc = store.get_doc("token", source)
        assert doc is not None
        assert doc.data["refresh_token"] == standins.current_refresh_token(source)
    standins.faults.clear()
    standins.expire_access_tokens("withings")
    # The stored refresh token still works: the next run refreshes with it.
    assert run("withings", store).outcome == COMPLETE
    assert_complete(store, athlete, ("strava", "withings"))


def test_duplicate_lambda_delivery_is_harmless(store, standins, athlete, monkeypatch):
    from collectors import lambda_handlers

    monkeypatch.setenv("PULSEBOARD_STORE", store_url(store))
    settings.reset()
    event = {"detail-type": "Scheduled Event", "source": "aws.events",
             "time": "2026-11-20T09:00:00Z"}
    handlers = (lambda_handlers.sync_strava, lambda_handlers.sync_withings,
                lambda_handlers.sync_sheets)
    first = [h(event, None) for h in handlers]
    second = [h(event, None) for h in handlers]
    for summary in first + second:
        assert summary["outcome"] == COMPLETE
        json.dumps(summary)
    assert [s["stored"] for s in second] == [0, 0, 0]
    # Two deliveries at the same moment: the same end state.
    both = [threading.Thread(target=lambda_handlers.sync_withings, args=(event, None))
            for _ in range(2)]
    for t in both:
        t.start()
    for t in both:
        t.join(30)
    assert_complete(store, athlete)
    assert store.get_doc("sync", "withings").data["last_outcome"] == COMPLETE


def test_scheduled_event_through_zappa_s_handler(sqlite_store, standins, tmp_path, monkeypatch):
    from testkit.zappa import Context, lambda_handler, scheduled_event

    monkeypatch.setenv("PULSEBOARD_STORE", store_url(sqlite_store))
    settings.reset()
    handler = lambda_handler(tmp_path, monkeypatch)
    summary = handler.handler(scheduled_event("collectors.lambda_handlers.sync_sheets"),
                              Context())
    assert summary["source"] == "sheets" and summary["outcome"] == COMPLETE
    assert sqlite_store.count("lift_sets") > 0


# --- what a user must be told ---------------------------------------------------------------


def test_inactive_strava_application_is_reported_and_not_retried(sqlite_store, standins):
    standins.faults.inactive_app()
    counts = run("strava", sqlite_store)
    assert counts.outcome == ERROR and "inactive" in counts.message
    assert "subscription" in counts.message
    assert standins.requests("strava") == 1


def test_inactive_application_on_a_data_call(sqlite_store, standins):
    run("strava", sqlite_store)
    standins.faults.inactive_app()
    standins.clear_log()
    counts = run("strava", sqlite_store)
    assert counts.outcome == ERROR and "inactive" in counts.message
    assert standins.requests("strava") == 1


def test_rejected_withings_refresh_token_says_run_connect(sqlite_store, standins):
    standins.faults.reject_tokens("withings")
    counts = run("withings", sqlite_store)
    assert counts.outcome == ERROR
    assert counts.message.startswith(
        "Withings refresh token rejected: run `python -m collectors connect withings`")


def test_revoked_access_token_is_refreshed_once(sqlite_store, standins, athlete):
    run("strava", sqlite_store)
    standins.expire_access_tokens("strava")
    athlete.add_activity(sport_type="Ride")
    standins.clear_log()
    counts = run("strava", sqlite_store)
    assert counts.outcome == COMPLETE
    assert standins.requests("strava", "token") == 1


def test_a_server_error_is_retried_once(sqlite_store, standins):
    standins.faults.fail_5xx("withings", 1)
    standins.faults.fail_5xx("sheets", 1)
    assert run("withings", sqlite_store, sleep=lambda s: None).outcome == COMPLETE
    assert run("sheets", sqlite_store).outcome == COMPLETE


def test_a_provider_that_keeps_failing_is_an_error(sqlite_store, standins):
    standins.faults.fail_5xx("strava", None)
    counts = run("strava", sqlite_store, sleep=lambda s: None)
    assert counts.outcome == ERROR and "HTTP 503" in counts.message
    assert "try again later" in counts.message


def test_truncated_answer_is_an_error_and_the_next_run_recovers(sqlite_store, standins,
                                                               athlete):
    standins.faults.truncate_json("sheets")
    counts = run("sheets", sqlite_store)
    assert counts.outcome == ERROR and "not complete JSON" in counts.message
    assert sqlite_store.count("lift_sets") == 0
    assert run("sheets", sqlite_store).outcome == COMPLETE
    assert sqlite_store.count("lift_sets") + sqlite_store.count("rejected") == \
        expected(athlete)["rows"]


def test_slow_provider_times_out_with_a_clear_message(sqlite_store, standins, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_REQUEST_TIMEOUT_S", "0.2")
    settings.reset()
    standins.faults.slow("withings", 0.6)
    counts = run("withings", sqlite_store)
    assert counts.outcome == ERROR and "did not answer within 0.2 s" in counts.message


def test_unreachable_provider(sqlite_store, standins, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_SHEETS_URL", "http://127.0.0.1:9")
    settings.reset()
    counts = run("sheets", sqlite_store)
    assert counts.outcome == ERROR and "cannot reach" in counts.message


def test_sheet_not_shared_or_wrong_id(sqlite_store, standins, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_SHEETS_ID", "not-the-sheet")
    settings.reset()
    counts = run("sheets", sqlite_store)
    assert counts.outcome == ERROR and "PULSEBOARD_SHEETS_ID" in counts.message
    assert standins.google_client_email in counts.message


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

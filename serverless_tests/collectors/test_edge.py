"""Every source synced from the settings end to end against the stand-ins, on both store
adapters: backfill, edits, deletions, new data, rate limits and kills, concurrent runs."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest

from collectors.common import COMPLETE, ERROR, RATE_LIMITED
from serverless_tests.collectors.conftest import (
    PER_PAGE,
    SOURCES,
    assert_complete,
    expected,
    killer,
    run,
    snapshot,
    stored_ids,
    stream_ids,
)


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


# Strava: 4 pages of activities then 13 streams; Withings: 5 pages.
@pytest.mark.parametrize(("strava_at", "withings_at"), [(1, 1), (3, 2), (7, 3)])
def test_killed_mid_run_then_resumed_loses_nothing(store, standins, athlete, strava_at,
                                                   withings_at):
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


def test_a_source_whose_secret_cannot_be_read_fails_alone(sqlite_store, standins):
    import settings
    from collectors.edge import sync_source
    from serverless_tests.collectors.conftest import FakeSsm

    env = settings.get()
    # Strava's client id is set but its secret is in neither the environment nor SSM.
    current = dataclasses.replace(env, strava_client_secret="", _secrets=FakeSsm(
        WITHINGS_CLIENT_SECRET=env.withings_client_secret))
    strava = sync_source("strava", sqlite_store, None, current)
    assert strava.outcome == ERROR and "/pulseboard/STRAVA_CLIENT_SECRET" in strava.message
    assert sqlite_store.get_doc("sync", "strava").data["last_outcome"] == ERROR
    assert sync_source("withings", sqlite_store, None, current).outcome == COMPLETE

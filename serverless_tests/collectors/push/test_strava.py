"""Strava events on the jobs side: one fetch per activity named, deletions, deauthorization."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from analytics import summary
from collectors.edge import sync_source
from serverless_tests.collectors.push.conftest import (
    ATHLETE_ID,
    SUBSCRIPTION_ID,
    handle,
    know_owner,
    pend,
    strava_event,
)
from storage import events
from storage.base import Store


def _new_run(standins: Any) -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    return standins.athlete.add_activity(start=start, sport_type="Run")


def _ids(store: Store) -> set[str]:
    return {a.id for a in store.query("activities")}


def test_a_burst_for_one_activity_is_one_fetch_of_it_and_its_streams(
        standins: Any, sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    run = _new_run(standins)
    pend(sqlite_store, strava_event(run["id"], "create", 1000),
         *(strava_event(run["id"], "update", 1001 + i, title=f"t{i}") for i in range(99)))
    standins.clear_log()
    counts = handle("strava", sqlite_store)
    assert counts.outcome == "complete", counts.message
    assert str(run["id"]) in _ids(sqlite_store)
    assert sqlite_store.get("streams", str(run["id"])) is not None
    # A stream that came by push is summarised as the scheduled sync's are (best efforts, load).
    assert sqlite_store.get_doc(summary.SPACE, str(run["id"])) is not None
    paths = [r.path for r in standins.log if r.kind == "data"]
    assert paths == [f"/strava/api/v3/activities/{run['id']}",
                     f"/strava/api/v3/activities/{run['id']}/streams"]
    assert events.pending(sqlite_store) == []


def test_update_before_create_stores_the_activity_once(standins: Any, sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    run = _new_run(standins)
    pend(sqlite_store, strava_event(run["id"], "update", 2000, title="Renamed"),
         strava_event(run["id"], "create", 1990))
    assert handle("strava", sqlite_store).outcome == "complete"
    assert [a.id for a in sqlite_store.query("activities")].count(str(run["id"])) == 1


def test_a_delete_removes_the_activity_and_its_streams_and_fetches_nothing(
        standins: Any, sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    run = _new_run(standins)
    pend(sqlite_store, strava_event(run["id"], "create", 3000))
    handle("strava", sqlite_store)
    standins.athlete.delete_activity(run["id"])
    pend(sqlite_store, strava_event(run["id"], "delete", 3100))
    standins.clear_log()
    counts = handle("strava", sqlite_store)
    assert counts.deleted == 1
    assert str(run["id"]) not in _ids(sqlite_store)
    assert sqlite_store.get("streams", str(run["id"])) is None
    assert sqlite_store.get_doc(summary.SPACE, str(run["id"])) is None
    assert standins.requests("strava", "data") == 0


def test_a_delete_of_an_unknown_activity_is_spent_quietly(standins: Any,
                                                          sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    pend(sqlite_store, strava_event(987_654_321, "delete", 3200))
    counts = handle("strava", sqlite_store)
    assert (counts.outcome, counts.deleted) == ("complete", 0)
    assert events.pending(sqlite_store) == []


def test_fetches_per_minute_are_bounded_and_the_rest_stay_pending(
        standins: Any, sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    runs = [_new_run(standins) for _ in range(5)]
    pend(sqlite_store, *(strava_event(r["id"], "create", 4000 + i) for i, r in enumerate(runs)))
    handle("strava", sqlite_store, fetches_per_min=2)
    assert len(events.pending(sqlite_store)) == 3
    assert {str(r["id"]) for r in runs[:2]} <= _ids(sqlite_store)


def test_streams_fetched_by_push_are_not_fetched_again_by_the_scheduled_sync(
        standins: Any, sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    sync_source("strava", sqlite_store, None)
    run = _new_run(standins)
    pend(sqlite_store, strava_event(run["id"], "create", 5000))
    handle("strava", sqlite_store)
    standins.clear_log()
    assert sync_source("strava", sqlite_store, None).outcome == "complete"
    assert not [r for r in standins.log if r.path.endswith("/streams")]


def test_deauthorization_stops_the_source_and_keeps_its_data(standins: Any,
                                                             sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    sync_source("strava", sqlite_store, None)
    stored = sqlite_store.count("activities")
    pend(sqlite_store, events.parse_strava({
        "object_type": "athlete", "object_id": ATHLETE_ID, "aspect_type": "update",
        "owner_id": ATHLETE_ID, "subscription_id": SUBSCRIPTION_ID, "event_time": 6000,
        "updates": {"authorized": "false"}}))
    handle("strava", sqlite_store)
    status = events.connection(sqlite_store, "strava")
    assert status is not None and status["state"] == events.DEAUTHORIZED
    assert "python -m collectors connect strava" in status["message"]
    counts = sync_source("strava", sqlite_store, None)
    assert counts.outcome == "not_configured"
    assert "connect strava" in counts.message
    assert sqlite_store.count("activities") == stored


def test_the_first_sync_learns_the_owners_athlete_id(standins: Any, sqlite_store: Store) -> None:
    sync_source("strava", sqlite_store, None)
    assert events.known(sqlite_store, "strava")["account_id"] == ATHLETE_ID


def test_events_for_a_deauthorized_source_are_spent_without_a_request(
        standins: Any, sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    pend(sqlite_store, events.parse_strava({
        "object_type": "athlete", "object_id": ATHLETE_ID, "aspect_type": "update",
        "owner_id": ATHLETE_ID, "subscription_id": SUBSCRIPTION_ID, "event_time": 7000,
        "updates": {"authorized": "false"}}))
    handle("strava", sqlite_store)
    pend(sqlite_store, strava_event(_new_run(standins)["id"], "create", 7100))
    standins.clear_log()
    counts = handle("strava", sqlite_store)
    assert counts.outcome == "error" and "connect strava" in counts.message
    assert events.pending(sqlite_store) == [] and standins.requests("strava") == 0


def test_an_activity_another_invocation_is_fetching_is_left_to_it(standins: Any,
                                                                  sqlite_store: Store) -> None:
    """Lambda starts a second jobs container for an event that finds the first busy: the second
    leaves what the first claimed, and the first takes the events that came meanwhile."""
    know_owner(sqlite_store, standins)
    busy, other = _new_run(standins), _new_run(standins)
    pend(sqlite_store, strava_event(busy["id"], "create", 5000),
         strava_event(other["id"], "create", 5001))
    now_s = datetime.now(UTC).timestamp()
    assert events.claim(sqlite_store, f"strava:activity:{busy['id']}", now_s)
    standins.clear_log()
    counts = handle("strava", sqlite_store)
    assert counts.outcome == "complete", counts.message
    assert _ids(sqlite_store) >= {str(other["id"])}
    assert str(busy["id"]) not in _ids(sqlite_store)
    assert [e.object_id for _, e in events.pending(sqlite_store)] == [busy["id"]]
    assert all(str(busy["id"]) not in r.path for r in standins.log)
    # Its holder gone (the claim lapsed): the next run applies it.
    later = now_s + events.CLAIM_HOLD_S + 1
    assert handle("strava", sqlite_store, clock=lambda: later).outcome == "complete"
    assert str(busy["id"]) in _ids(sqlite_store)
    assert events.pending(sqlite_store) == []
    assert events.claim(sqlite_store, f"strava:activity:{busy['id']}", later)  # released


def test_events_that_come_during_a_pass_are_taken_by_the_next_pass(
        standins: Any, sqlite_store: Store, monkeypatch: Any) -> None:
    from collectors.push import strava as push_strava

    know_owner(sqlite_store, standins)
    first, late = _new_run(standins), _new_run(standins)
    pend(sqlite_store, strava_event(first["id"], "create", 6000))
    fetch = push_strava.StravaPush.fetch
    arrived: list[int] = []

    def fetch_then_an_event_arrives(self: Any, activity_id: str) -> None:
        fetch(self, activity_id)
        if not arrived:  # the api stores one more while this invocation works
            arrived.append(late["id"])
            pend(sqlite_store, strava_event(late["id"], "create", 6001))

    monkeypatch.setattr(push_strava.StravaPush, "fetch", fetch_then_an_event_arrives)
    assert handle("strava", sqlite_store).outcome == "complete"
    assert _ids(sqlite_store) >= {str(first["id"]), str(late["id"])}
    assert events.pending(sqlite_store) == []


def test_events_another_invocation_applied_since_our_listing_are_not_fetched_again(
        standins: Any, sqlite_store: Store) -> None:
    import settings
    from collectors import sources
    from collectors.common import Counts
    from collectors.push import strava as push_strava
    from collectors.sources.base import Run

    know_owner(sqlite_store, standins)
    run = _new_run(standins)
    pend(sqlite_store, strava_event(run["id"], "create", 7000))
    listed = events.pending(sqlite_store, "strava")  # our listing, then the other one's work
    assert handle("strava", sqlite_store).outcome == "complete"
    standins.clear_log()
    config = sources.get("strava").configure(settings.get())
    worked = push_strava.apply(Run(sqlite_store, None, Counts("strava"), datetime.now(UTC)),
                               config, listed, 10)
    assert worked is False
    assert standins.requests("strava", "data") == 0

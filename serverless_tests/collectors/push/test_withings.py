"""Withings notifications on the jobs side: the ranges named, joined into one read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from serverless_tests.collectors.push.conftest import handle, know_owner, pend
from storage import events
from storage.base import Store


def _notification(standins: Any, start_s: int, end_s: int) -> events.PushEvent:
    return events.parse_withings({"userid": str(standins.withings_userid), "appli": "1",
                                  "startdate": str(start_s), "enddate": str(end_s)})


def test_a_burst_of_notifications_is_one_read_of_their_span(standins: Any,
                                                            sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    weighins = [standins.athlete.add_weighin(70.0 + i / 10, at=at + timedelta(minutes=i))
                for i in range(5)]
    pend(sqlite_store, *(_notification(standins, g["date"] - 1, g["date"] + 1) for g in weighins))
    standins.clear_log()
    counts = handle("withings", sqlite_store)
    assert counts.outcome == "complete", counts.message
    assert standins.requests("withings", "data") == 1
    stored = sqlite_store.query("measurements", "weight_kg", start=at - timedelta(seconds=1))
    assert sorted(round(m.value, 1) for m in stored) == [70.0, 70.1, 70.2, 70.3, 70.4]
    assert events.pending(sqlite_store) == []


def test_a_notification_beyond_the_minutes_share_waits(standins: Any,
                                                       sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    group = standins.athlete.add_weighin(71.5)
    pend(sqlite_store, _notification(standins, group["date"], group["date"]))
    assert handle("withings", sqlite_store, fetches_per_min=0).outcome == "complete"
    assert len(events.pending(sqlite_store)) == 1
    assert standins.requests("withings", "data") == 0


def test_a_token_refresh_teaches_the_owners_withings_user_id(standins: Any,
                                                              sqlite_store: Store) -> None:
    from collectors.edge import sync_source

    assert events.known(sqlite_store, "withings") == {}
    assert sync_source("withings", sqlite_store, None).outcome == "complete"
    assert events.known(sqlite_store, "withings") == {"account_id": standins.withings_userid}


def test_notifications_another_invocation_is_reading_are_left_to_it(standins: Any,
                                                                    sqlite_store: Store) -> None:
    know_owner(sqlite_store, standins)
    group = standins.athlete.add_weighin(72.5)
    pend(sqlite_store, _notification(standins, group["date"], group["date"]))
    now_s = datetime.now(UTC).timestamp()
    assert events.claim(sqlite_store, "withings:measures", now_s)
    standins.clear_log()
    assert handle("withings", sqlite_store).outcome == "complete"
    assert standins.requests("withings", "data") == 0
    assert len(events.pending(sqlite_store)) == 1
    events.release(sqlite_store, "withings:measures")  # its holder finished
    assert handle("withings", sqlite_store).outcome == "complete"
    assert standins.requests("withings", "data") == 1 and events.pending(sqlite_store) == []

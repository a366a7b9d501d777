"""The Lambda handlers: one per source the schedule syncs, safe to deliver twice."""

from __future__ import annotations

import json
import threading

import settings
from collectors.common import COMPLETE
from serverless_tests.collectors.conftest import assert_complete, store_url


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


def test_the_push_handler_applies_the_pending_events_of_the_source_named(standins, sqlite_store):
    from collectors.lambda_handlers import push
    from serverless_tests.collectors.push.conftest import know_owner, pend, strava_event
    from storage import events

    know_owner(sqlite_store, standins)
    run = standins.athlete.add_activity()
    pend(sqlite_store, strava_event(run["id"], "create", 10))
    pend(sqlite_store, events.parse_withings({"userid": str(standins.withings_userid),
                                              "appli": "1", "startdate": "1", "enddate": "2"}))
    summary = push({"command": "collectors.lambda_handlers.push", "source": "strava"},
                   None, store=sqlite_store, blobs=None)
    assert summary["outcome"] == "complete" and summary["strava"]["stored"] >= 1
    assert "withings" not in summary
    assert [e.provider for _, e in events.pending(sqlite_store)] == ["withings"]
    assert sqlite_store.count("activities") >= 1

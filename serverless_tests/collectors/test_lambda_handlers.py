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

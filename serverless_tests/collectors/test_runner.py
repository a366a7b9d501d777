"""The runner: a sync's outcome, its recorded status, and the exit code of several."""

from __future__ import annotations

from collectors.common import RATE_LIMITED
from serverless_tests.collectors.conftest import run


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

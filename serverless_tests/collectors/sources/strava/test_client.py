"""Strava's client: the request budget, OAuth beside the API, and against the stand-in: an
inactive application, a revoked token refreshed once, a provider that keeps failing."""

from __future__ import annotations

import pytest

from collectors.common import BUDGET, COMPLETE, ERROR, StopSync
from collectors.sources.strava.client import Budget, oauth_url
from serverless_tests.collectors.conftest import run
from serverless_tests.collectors.sources.strava.test_parse import headers


class Clock:
    def __init__(self, t=1_700_000_100.0):
        self.t = t

    def __call__(self):
        return self.t


def test_budget_follows_the_headers():
    budget = Budget(request_budget=500, clock=Clock())
    budget.record(headers(read_usage="97,300"))
    assert budget.left() == 3
    budget.record(headers(read_usage="100,301"))
    with pytest.raises(StopSync) as stopped:
        budget.check()
    assert stopped.value.outcome == BUDGET and "100/100" in str(stopped.value)


def test_budget_caps_a_generous_header_at_strava_s_read_limits():
    budget = Budget(request_budget=5000, clock=Clock())
    budget.record(headers(read_usage="150,300", read_limit="600,6000"))
    assert budget.left() <= 0


def test_budget_counts_its_own_requests_when_headers_are_missing():
    clock = Clock()
    budget = Budget(request_budget=1000, limit_15min=3, clock=clock)
    for _ in range(3):
        budget.check()
        budget.record({})
    with pytest.raises(StopSync):
        budget.check()
    clock.t += 900  # the next 15-minute window
    budget.request_budget = 1000
    assert budget.left() == 3 - 0


def test_per_run_request_budget():
    budget = Budget(request_budget=2, clock=Clock())
    budget.record(headers())
    budget.record(headers())
    assert budget.left() == 0 and "budget of 2" in budget.reason()


def test_oauth_url_follows_the_api_base():
    assert oauth_url("https://www.strava.com/api/v3") == "https://www.strava.com/oauth"
    assert oauth_url("http://127.0.0.1:9/strava/api/v3/") == "http://127.0.0.1:9/strava/oauth"


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


def test_revoked_access_token_is_refreshed_once(sqlite_store, standins, athlete):
    run("strava", sqlite_store)
    standins.expire_access_tokens("strava")
    athlete.add_activity(sport_type="Ride")
    standins.clear_log()
    counts = run("strava", sqlite_store)
    assert counts.outcome == COMPLETE
    assert standins.requests("strava", "token") == 1


def test_a_provider_that_keeps_failing_is_an_error(sqlite_store, standins):
    standins.faults.fail_5xx("strava", None)
    counts = run("strava", sqlite_store, sleep=lambda s: None)
    assert counts.outcome == ERROR and "HTTP 503" in counts.message
    assert "try again later" in counts.message

"""Withings' client against the stand-in: a rejected refresh token, a server error retried."""

from __future__ import annotations

from collectors.common import COMPLETE, ERROR
from serverless_tests.collectors.conftest import run


def test_rejected_withings_refresh_token_says_run_connect(sqlite_store, standins):
    standins.faults.reject_tokens("withings")
    counts = run("withings", sqlite_store)
    assert counts.outcome == ERROR
    assert counts.message.startswith(
        "Withings refresh token rejected: run `python -m collectors connect withings`")


def test_a_server_error_is_retried_once(sqlite_store, standins):
    standins.faults.fail_5xx("withings", 1)
    assert run("withings", sqlite_store, sleep=lambda s: None).outcome == COMPLETE

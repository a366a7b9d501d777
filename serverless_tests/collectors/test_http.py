"""The one HTTP policy: timeouts and unreachable hosts said plainly, one refresh on 401,
bounded 5xx retries with backoff, 429 stops the run cleanly."""

from __future__ import annotations

import settings
from collectors.common import ERROR
from serverless_tests.collectors.conftest import run


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

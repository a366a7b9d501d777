"""The sheet's client against the stand-in: a server error retried, a sheet not shared."""

from __future__ import annotations

import settings
from collectors.common import COMPLETE, ERROR
from serverless_tests.collectors.conftest import run


def test_a_server_error_is_retried_once(sqlite_store, standins):
    standins.faults.fail_5xx("sheets", 1)
    assert run("sheets", sqlite_store, sleep=lambda s: None).outcome == COMPLETE


def test_sheet_not_shared_or_wrong_id(sqlite_store, standins, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_SHEETS_ID", "not-the-sheet")
    settings.reset()
    counts = run("sheets", sqlite_store)
    assert counts.outcome == ERROR and "PULSEBOARD_SHEETS_ID" in counts.message
    assert standins.google_client_email in counts.message

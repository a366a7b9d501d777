"""The runner: a sync's outcome, its recorded status, and the exit code of several."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from collectors.common import (
    BUDGET,
    COMPLETE,
    ERROR,
    NOT_CONFIGURED,
    RATE_LIMITED,
    Counts,
    StopSync,
    SyncError,
)
from collectors.runner import exit_code, not_run, run_source
from core.cli import EXIT_ERROR, EXIT_OK, EXIT_STOPPED
from serverless_tests.collectors.conftest import run
from storage.base import StoreError


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


class Stub:
    """A source whose sync does what a test tells it (raise, count, look at its run)."""

    name = "stub"
    title = "Stub"
    syncs = True
    not_configured = "Stub is not configured: set PULSEBOARD_STUB"
    oauth = None

    def __init__(self, raises: Exception | None = None) -> None:
        self.raises = raises
        self.runs: list[Any] = []
        self.options: list[dict[str, Any]] = []

    def configure(self, current: Any) -> Any:
        return Config(True)

    def sync(self, run: Any, config: Any, **options: Any) -> None:
        self.runs.append(run)
        self.options.append(options)
        run.counts.fetched += 1
        if self.raises is not None:
            raise self.raises


@dataclass(frozen=True)
class Config:
    configured: bool


def test_an_unconfigured_source_is_not_run_and_leaves_no_status(sqlite_store):
    stub = Stub()
    counts = run_source(stub, Config(False), sqlite_store, None)
    assert counts.outcome == NOT_CONFIGURED and "PULSEBOARD_STUB" in counts.message
    assert stub.runs == [] and sqlite_store.get_doc("sync", "stub") is None


def test_the_run_gets_its_options_and_the_source_the_rest(sqlite_store):
    stub = Stub()
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    counts = run_source(stub, Config(True), sqlite_store, None, full=True, now=now,
                        sleep=print, request_budget=6)
    assert counts.outcome == COMPLETE and counts.fetched == 1
    [handed] = stub.runs
    assert handed.now == now and handed.full and handed.sleep is print
    assert stub.options == [{"request_budget": 6}]
    assert sqlite_store.get_doc("sync", "stub").data["last_success_at"] == "2026-11-20T09:00:00Z"


@pytest.mark.parametrize(
    ("error", "outcome", "message"),
    [
        (StopSync(BUDGET, "budget used"), BUDGET, "budget used; progress saved, the next run "
                                                  "carries on"),
        (SyncError("Stub says no: do this"), ERROR, "Stub says no: do this"),
        (StoreError("disk full"), ERROR, "the store failed: disk full"),
        (KeyError("surprise"), ERROR, "unexpected KeyError: 'surprise' (run with --debug"),
    ],
)
def test_what_a_run_meets_becomes_its_outcome(sqlite_store, error, outcome, message):
    counts = run_source(Stub(error), Config(True), sqlite_store, None)
    assert counts.outcome == outcome and counts.message.startswith(message)
    assert counts.fetched == 1  # what it did before it stopped is still reported
    assert sqlite_store.get_doc("sync", "stub").data["last_outcome"] == outcome


def test_a_source_that_cannot_start_is_an_error_on_record(sqlite_store):
    counts = not_run(Stub(), sqlite_store, SyncError("PULSEBOARD_X is missing"))
    assert counts.outcome == ERROR and counts.message == "PULSEBOARD_X is missing"
    assert sqlite_store.get_doc("sync", "stub").data["last_outcome"] == ERROR


def results(*outcomes: str) -> list[Counts]:
    return [Counts(f"s{i}", outcome=o) for i, o in enumerate(outcomes)]


def test_exit_codes():
    assert exit_code(results(COMPLETE, COMPLETE), explicit=False) == EXIT_OK
    assert exit_code(results(COMPLETE, RATE_LIMITED), explicit=False) == EXIT_STOPPED
    assert exit_code(results(BUDGET, ERROR), explicit=False) == EXIT_ERROR
    # --source all skips sources without credentials, unless none has any.
    assert exit_code(results(COMPLETE, NOT_CONFIGURED), explicit=False) == EXIT_OK
    assert exit_code(results(NOT_CONFIGURED, NOT_CONFIGURED), explicit=False) == EXIT_ERROR
    assert exit_code(results(NOT_CONFIGURED), explicit=True) == EXIT_ERROR

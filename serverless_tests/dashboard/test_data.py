"""The dashboard's read cache: kept while no sync lands, dropped as soon as one does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dashboard import data
from storage.records import Measurement


@pytest.fixture
def counted(store: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The kinds the store was queried for, in order."""
    calls: list[str] = []
    real = store.query

    def query(kind: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(kind)
        return real(kind, *args, **kwargs)

    monkeypatch.setattr(store, "query", query)
    data.clear_cache()
    return calls


def test_repeat_views_read_the_store_once_until_a_sync_lands(
    store: Any, counted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = data.measurements(store, "weight_kg")
    data.measurements(store, "weight_kg")
    assert counted.count("measurements") == 1  # the second view came from memory

    newest = first["time"].max().to_pydatetime() + timedelta(days=1)
    store.put([Measurement(newest, "weight_kg", 70.0, "withings", "new:1")])
    status = store.get_doc("sync", "withings")
    store.put_doc("sync", "withings", {**status.data,
                                       "last_run_at": "2099-01-01T00:00:00Z"})
    monkeypatch.setattr(data, "VERSION_CHECK_S", 0.0)  # as after the next page view
    after = data.measurements(store, "weight_kg")
    assert counted.count("measurements") == 2
    assert len(after) == len(first) + 1 and after["value"].iloc[-1] == 70.0


def test_data_version_moves_with_any_run(store: Any) -> None:
    before = data.data_version(store)
    status = store.get_doc("sync", "sheets")
    store.put_doc("sync", "sheets", {**status.data, "last_outcome": "error",
                                     "last_run_at": "2099-01-01T00:00:00Z"})
    assert data.data_version(store) == "2099-01-01T00:00:00Z" != before


def test_the_live_check_moves_the_version_the_redraws_use(store: Any, counted: list[str]) -> None:
    data.measurements(store, "weight_kg")
    status = store.get_doc("sync", "withings")
    store.put_doc("sync", "withings", {**status.data, "last_run_at": "2099-01-01T00:00:00Z"})
    # Within VERSION_CHECK_S of the read above: only a fresh check (the live one) sees the sync.
    assert data.current_version(store, fresh=True) == "2099-01-01T00:00:00Z"
    data.measurements(store, "weight_kg")
    assert counted.count("measurements") == 2  # the redraw read the series again


def test_quarantined_records_are_counted_under_their_sources_name(sqlite_store: Any) -> None:
    from datetime import UTC, datetime

    from storage.records import Rejected

    seen = datetime(2025, 6, 1, tzinfo=UTC)
    sqlite_store.put([Rejected("files", f"run-{i}.fit", "no timed points", "", seen)
                      for i in range(3)] + [Rejected("sheets", "row 9", "8O kg", "8O", seen)])
    data.clear_cache()
    assert data.quarantined_by_source(sqlite_store) == {"files": 3, "sheets": 1}

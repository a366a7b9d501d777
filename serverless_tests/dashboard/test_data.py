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


def _weigh_ins(rng: Any, start: Any, days: int, per_day: tuple[int, int]) -> list[Measurement]:
    out = []
    for day in range(days):
        for k in range(int(rng.integers(*per_day))):
            moment = start + timedelta(days=day, minutes=int(rng.integers(0, 1440)), seconds=k)
            out.append(Measurement(moment, "weight_kg", round(float(rng.normal(80, 2)), 2),
                                   "withings", f"w:{day}:{k}"))
    return out


@pytest.mark.parametrize(("days", "per_day", "zone"), [
    (900, (0, 2), "Europe/Paris"),  # a sparse series: days with none
    (500, (1, 3), "America/Los_Angeles"),
    (60, (5, 8), "Asia/Kolkata"),  # a busy month: more than RECENT_ROWS in it
    (3, (1, 2), "UTC"),  # shorter than a week
    (400, (0, 1), "Pacific/Kiritimati"),  # nothing at all
])
def test_the_overviews_few_reads_give_the_changes_of_the_whole_series(
    sqlite_store: Any, days: int, per_day: tuple[int, int], zone: str
) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    import numpy as np

    from dashboard.logic.overview import changes

    rng = np.random.default_rng(days)
    rows = _weigh_ins(rng, datetime(2023, 3, 20, 21, 30, tzinfo=UTC), days, per_day)
    # A lone weigh-in long before the rest: the year's change reaches back to it.
    rows.append(Measurement(datetime(2020, 1, 5, 8, tzinfo=UTC), "weight_kg", 90.0,
                            "withings", "w:old"))
    sqlite_store.put(rows)
    data.clear_cache()
    tz = ZoneInfo(zone)
    sqlite_store.calls.clear()
    few = data.recent_measurements(sqlite_store, "weight_kg", tz)
    assert sqlite_store.calls["query"] <= (4 if per_day[0] >= 5 else 2)
    assert len(few) <= data.RECENT_ROWS + 2 or per_day[0] >= 5
    whole = data.measurements(sqlite_store, "weight_kg")
    assert changes(few, "weight_kg", tz) == changes(whole, "weight_kg", tz)


def test_the_sync_status_comes_with_the_version_read(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spaces: list[str] = []
    real = store.list_docs

    def list_docs(space: str) -> Any:
        spaces.append(space)
        return real(space)

    monkeypatch.setattr(store, "list_docs", list_docs)
    data.clear_cache()
    version = data.current_version(store)
    status = data.sync_status(store)
    data.docs(store, "sync")
    assert spaces == ["sync"]  # one read for the version and the status shown
    assert status == {k: d.data for k, d in real("sync").items()} != {}
    assert version == data.data_version(store)


def test_documents_are_kept_while_the_version_stands_and_at_most_a_minute(
    sqlite_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data.clear_cache()
    sqlite_store.put_doc("connection", "strava", {"state": "connected"})
    assert data.docs(sqlite_store, "connection") == {"strava": {"state": "connected"}}
    sqlite_store.put_doc("connection", "strava", {"state": "deauthorized"})
    assert data.docs(sqlite_store, "connection")["strava"]["state"] == "connected"  # kept
    monkeypatch.setattr(data, "DOCS_MAX_AGE_S", 0.0)
    assert data.docs(sqlite_store, "connection")["strava"]["state"] == "deauthorized"


def test_prefetch_runs_the_reads_at_once_and_raises_their_error() -> None:
    import threading

    both = threading.Barrier(2, timeout=5)  # each read waits for the other: only at once
    seen: list[int] = []

    def read(n: int) -> None:
        both.wait()
        seen.append(n)

    data.prefetch([lambda: read(1), lambda: read(2)])
    assert sorted(seen) == [1, 2]

    def broken() -> None:
        raise ValueError("the store failed")

    with pytest.raises(ValueError, match="the store failed"):
        data.prefetch([lambda: None, broken])


def test_warming_the_overview_leaves_its_callback_nothing_to_read(
    store: Any, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zoneinfo import ZoneInfo

    from dashboard.pages import overview
    from dashboard.prefs import Prefs

    data.clear_cache()
    tz = ZoneInfo("Europe/Paris")
    assert data.warm("/?embed=1", store, Prefs(units="metric", tz=tz)) >= 0
    reads: list[str] = []

    def counted(name: str) -> Any:
        real = getattr(store, name)

        def read(*args: Any, **kwargs: Any) -> Any:
            reads.append(name)
            return real(*args, **kwargs)
        return read

    for name in ("query", "count", "list_docs", "get_doc"):
        monkeypatch.setattr(store, name, counted(name))
    overview.content(store, Prefs(units="metric", tz=tz))
    assert reads == []
    data.clear_cache()
    overview.content(store, Prefs(units="metric", tz=tz))
    assert "count" in reads and "query" in reads  # without the warm, the same reads happen


def test_warming_a_page_with_no_reads_imports_its_modules() -> None:
    assert data.warm("/weight") >= 0  # outside a request: no store is asked for


def test_reads_finding_the_version_old_together_share_one_read(
    sqlite_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    reads: list[str] = []
    real = sqlite_store.list_docs
    inside = threading.Event()

    def list_docs(space: str) -> Any:
        reads.append(space)
        inside.set()
        threading.Event().wait(0.2)  # a slow store: the others ask meanwhile
        return real(space)

    monkeypatch.setattr(sqlite_store, "list_docs", list_docs)
    data.clear_cache()
    first = threading.Thread(target=data.current_version, args=(sqlite_store,))
    first.start()
    inside.wait(5)
    # Asked while the first read is under way: they wait for the read after them (one).
    data.prefetch([lambda: data.current_version(sqlite_store)] * 6)
    first.join()
    assert reads == ["sync", "sync"]
    data.current_version(sqlite_store, fresh=True)  # the live check always reads
    assert len(reads) == 3

"""Summaries stored beside the streams, and the backfill for activities stored before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics import summary
from storage.records import Activity, ActivityStream
from storage.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(str(tmp_path / "s.db"))


def stream(activity_id: str, metres: int = 6000) -> ActivityStream:
    times = [float(t) for t in range(0, metres // 3 + 1)]
    return ActivityStream(activity_id, time_s=times, distance_m=[t * 3 for t in times],
                          heartrate_bpm=[150.0] * len(times),
                          latlng=[[45.0 + t * 3 / 111_195, 7.0] for t in times])


def test_a_stored_stream_gets_its_summary(store: SqliteStore) -> None:
    assert summary.store_summaries(store, [stream("a1"), stream("a2", 2000)]) == 2
    doc = store.get_doc(summary.SPACE, "a1")
    assert doc is not None
    assert doc.data["v"] == summary.VERSION
    assert doc.data["efforts"]["5 km"][0] == pytest.approx(5000 / 3, abs=0.1)
    assert doc.data["trimp"] > 0
    assert doc.data["cells"]
    short = store.get_doc(summary.SPACE, "a2")
    assert short is not None and "5 km" not in short.data["efforts"]


def test_a_stream_that_cannot_be_summarised_blocks_no_other(store: SqliteStore) -> None:
    broken = ActivityStream("bad", time_s=[0.0, 1.0], distance_m=[0.0, 1.0],
                            latlng=[[1.0]])  # a position with one coordinate
    assert summary.store_summaries(store, [broken, stream("ok")]) == 1
    assert store.get_doc(summary.SPACE, "ok") is not None


def test_backfill_summarises_what_was_stored_before(store: SqliteStore) -> None:
    start = datetime(2026, 5, 1, 7, tzinfo=UTC)
    store.put([Activity("r1", "strava", start, "Run", distance_m=6000, moving_time_s=2000),
               Activity("r2", "strava", start.replace(day=2), "Run"), stream("r1")])
    assert summary.backfill(store) == (1, 1)
    assert store.get_doc(summary.SPACE, "r1") is not None
    assert summary.backfill(store) == (0, 1)  # nothing left to do
    assert summary.backfill(store, redo=True) == (1, 1)


def test_the_backfill_command_says_what_it_did(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import settings
    from analytics.__main__ import main

    db = tmp_path / "cli.db"
    with SqliteStore(str(db)) as s:
        s.put([Activity("r1", "strava", datetime(2026, 5, 1, 7, tzinfo=UTC), "Run"),
               stream("r1")])
    monkeypatch.setenv("PULSEBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PULSEBOARD_STORE", f"sqlite:///{db}")
    settings.reset()
    try:
        assert main(["backfill"]) == 0
    finally:
        settings.reset()
    assert "1 activity summaries written; 0 activities have no stream" in capsys.readouterr().out
    with SqliteStore(str(db)) as s:
        assert s.get_doc(summary.SPACE, "r1") is not None

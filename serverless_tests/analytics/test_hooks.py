"""Summaries are written where streams are stored: an imported file's legs each get theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics import summary
from collectors.sources.files.importer import import_paths
from storage.sqlite import SqliteStore

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(str(tmp_path / "s.db"))


def test_a_run_file_gets_best_efforts_and_a_heart_rate_load(store: SqliteStore) -> None:
    path = REALDATA / "fit" / "2013-02-06-12-11-14.fit"
    if not path.exists():
        pytest.skip("the real device files are not beside the repository")
    import_paths(store, [path])
    (activity,) = store.query("activities")
    doc = store.get_doc(summary.SPACE, activity.id)
    assert doc is not None
    efforts = doc.data["efforts"]
    # A 4,835 m run: every distance up to 1 mile, nothing from 5 km.
    assert set(efforts) == {"400 m", "1 km", "1 mile"}
    assert efforts["400 m"][0] < efforts["1 km"][0] < efforts["1 mile"][0]
    # Faster than its average pace (timer 2,625 s over 4,835 m), and no faster than 2:30 /km.
    assert 150 < efforts["1 km"][0] < 2625 / 4.835
    assert doc.data["trimp"] > 0 and doc.data["cells"]


def test_multisport_legs_each_have_a_summary(store: SqliteStore) -> None:
    path = REALDATA / "fit" / "activity-large-fenxi2-multisport.fit"
    if not path.exists():
        pytest.skip("the real device files are not beside the repository")
    import_paths(store, [path])
    runs = [a for a in store.query("activities") if a.sport_type == "Run"]
    assert len(runs) == 2
    docs = store.list_docs(summary.SPACE)
    long_leg = max(runs, key=lambda a: a.distance_m)
    assert "10 km" in docs[long_leg.id].data["efforts"]
    assert all(run.id in docs for run in runs)

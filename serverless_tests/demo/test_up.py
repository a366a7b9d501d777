"""`make demo`'s steps: syncing until complete across rate-limit windows, importing the athlete's
activity files, and forgetting an earlier demo's tokens."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import settings
from collectors.edge import sync_source
from collectors.sources.files import import_paths
from demo import athlete_files, up
from demo.athlete import Athlete
from demo.standins import StandIns
from storage import open_store
from storage.base import Store

from .conftest import END

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StandIns, Store]]:
    """A quarter of a year behind stand-ins on the demo's clock, and an empty store."""
    athlete = Athlete.generate(seed=5, years=0.25, end=END)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with StandIns(athlete, clock=up.ProviderClock()) as standins, open_store(url) as store:
        for name, value in {**standins.env(), "PULSEBOARD_STORE": url}.items():
            monkeypatch.setenv(name, value)
        settings.reset()
        yield standins, store
    settings.reset()


def test_the_demo_clock_moves_to_the_next_window_or_day() -> None:
    clock = up.ProviderClock()
    before = clock()
    clock.next_window(day_used=False)
    assert clock() // up.WINDOW_S == before // up.WINDOW_S + 1
    assert clock() % up.WINDOW_S < 5
    clock.next_window(day_used=True)
    assert clock() // up.DAY_S == before // up.DAY_S + 1


def test_syncs_run_until_complete_across_rate_limit_windows(world, capsys) -> None:
    standins, store = world
    # A low read limit makes a quarter of a year take several windows.
    standins.faults.set_read_limits(15, 1000)
    runs = up.sync_until_complete(dict(os.environ), standins, standins.clock)
    out = capsys.readouterr().out
    assert runs > 2 and out.count("stopped early at a rate limit") == runs - 1
    assert standins.clock.ahead_s >= (runs - 1) * 60
    code, lines = up.sync(dict(os.environ))
    assert code == 0 and all("stored 0, deleted 0," in line for line in lines)
    with standins.athlete.lock:
        ids = {str(a["id"]) for a in standins.athlete.activities}
    assert {a.id for a in store.query("activities")} == ids


def test_the_athlete_s_files_import_as_new_runs_and_one_duplicate(world, tmp_path) -> None:
    standins, store = world
    assert sync_source("strava", store, None).outcome == "complete"
    made = athlete_files.write(standins.athlete, tmp_path / "files")
    summary = import_paths(store, [made.watch_folder, made.export_zip], now=NOW)
    assert (summary.imported, summary.duplicates, summary.rejected) == (made.new_activities, 1, 0)
    [duplicate] = [o for o in summary.outcomes if o.status == "duplicate"]
    assert duplicate.activity_id == made.duplicate_of
    names = {a.name for a in store.query("activities") if a.source == "file"}
    assert {"Old account run 1", "Gym (entered by hand)"} <= names
    stream = store.get("streams", made.duplicate_of)
    assert stream.heartrate_bpm and len(stream.heartrate_bpm) == len(stream.time_s)
    again = import_paths(store, [made.watch_folder, made.export_zip], now=NOW)
    assert (again.imported, again.duplicates) == (0, made.new_activities + 1)


def test_a_second_demo_forgets_the_first_one_s_tokens(world, monkeypatch) -> None:
    standins, store = world
    assert sync_source("withings", store, None).outcome == "complete"
    with StandIns(standins.athlete) as second:
        for name, value in second.env().items():
            monkeypatch.setenv(name, value)
        settings.reset()
        assert sync_source("withings", store, None).outcome == "error"
        up.forget_old_tokens(os.environ["PULSEBOARD_STORE"])
        assert sync_source("withings", store, None).outcome == "complete"

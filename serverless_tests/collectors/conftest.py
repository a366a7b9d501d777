"""Fixtures for the provider syncs: a small synthetic athlete behind the loopback stand-ins,
and the helpers the sync tests share (one sync from the settings, what the store holds)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import settings
from collectors.edge import sync_source
from collectors.sports import RUN_SPORTS
from storage import open_blobs
from storage.base import Blobs, Store, encode_record
from storage.records import MEASUREMENT_TYPES

# A few weeks of data keep each end-to-end test around a second; paging is exercised with
# small pages (Strava per_page, Withings page size) rather than with years of data.
YEARS = 0.06
END = date(2026, 11, 20)
SOURCES = ("strava", "withings", "sheets")
PER_PAGE = 5  # small Strava pages so a few weeks of data still page


@pytest.fixture
def athlete() -> Any:
    from demo.athlete import Athlete

    return Athlete.generate(seed=11, years=YEARS, end=END)


@pytest.fixture
def standins(athlete: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The stand-ins serving `athlete`, with every provider setting pointing at them."""
    from demo.standins import StandIns

    with StandIns(athlete, withings_page_size=5) as running:
        for name, value in running.env().items():
            monkeypatch.setenv(name, value)
        settings.reset()
        yield running
    settings.reset()


@pytest.fixture
def raw_blobs(tmp_path: Path) -> Blobs:
    return open_blobs(f"file://{tmp_path / 'blobs'}")


def store_url(store: Store) -> str:
    """The settings URL naming a test store, for code that opens the store itself."""
    from storage.sqlite import SqliteStore

    if isinstance(store, SqliteStore):
        return f"sqlite:///{store.path}"
    return f"dynamodb://{store.table}"  # type: ignore[attr-defined]


def expected(athlete: Any) -> dict[str, Any]:
    """What a complete sync of `athlete` must leave in the store."""
    with athlete.lock:
        activities = {str(a["id"]) for a in athlete.activities}
        runs = {str(a["id"]) for a in athlete.activities
                if a["sport_type"] in RUN_SPORTS and not a.get("manual")}
        groups = [g for g in athlete.measure_groups if g["category"] == 1]
        weights = {f"{g['grpid']}:1" for g in groups if any(m["type"] == 1
                                                           for m in g["measures"])}
        rows = [r for r in athlete.sheet_rows[1:] if any(str(c).strip() for c in r)]
    return {"activities": activities, "runs": runs, "weights": weights, "rows": len(rows)}


def run(source: str, store: Store, blobs: Any = None, paged: bool = False, **options: Any):
    """One sync; `paged` makes Strava ask for small pages so a few weeks of data still page."""
    if source == "strava" and paged:
        options["per_page"] = PER_PAGE
    return sync_source(source, store, blobs, **options)


def snapshot(store: Store) -> dict[str, set[str]]:
    kinds = {"activities": [""], "streams": [""], "lift_sets": [""], "rejected": [""],
             "measurements": list(MEASUREMENT_TYPES)}
    return {f"{kind}#{series}": {encode_record(r) for r in store.query(kind, series)}
            for kind, all_series in kinds.items() for series in all_series}


def stored_ids(store: Store) -> set[str]:
    return {a.id for a in store.query("activities")}


def stream_ids(store: Store) -> set[str]:
    return {s.activity_id for s in store.query("streams")}


def weight_ids(store: Store) -> set[str]:
    return {m.source_id for m in store.query("measurements", "weight_kg")}


def assert_complete(store: Store, athlete: Any, sources: tuple[str, ...] = SOURCES) -> None:
    want = expected(athlete)
    if "strava" in sources:
        assert stored_ids(store) == want["activities"]
        assert stream_ids(store) == want["runs"]
    if "withings" in sources:
        assert weight_ids(store) == want["weights"]
    if "sheets" in sources:
        assert store.count("lift_sets") + store.count("rejected") == want["rows"]


class Killed(Exception):
    """A power cut, raised where a test wants a run to die."""


def killer(kill_at: int) -> Any:
    """An after_batch hook that raises Killed at the `kill_at`-th batch."""
    calls = {"n": 0}

    def after_batch(_: int) -> None:
        calls["n"] += 1  # pages, then (Strava) streams
        if calls["n"] == kill_at:
            raise Killed("power cut")

    return after_batch


class FakeSsm:
    """Parameter Store as settings.Settings reads it: `get(name)` under one prefix."""

    prefix = "/pulseboard"

    def __init__(self, **values: str) -> None:
        self.values = values

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def path(self, name: str) -> str:
        return f"{self.prefix}/{name}"

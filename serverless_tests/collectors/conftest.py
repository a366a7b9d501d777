"""Fixtures for the provider syncs: a small synthetic athlete behind the loopback stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import settings
from storage import open_blobs
from storage.base import Blobs, Store

# A few weeks of data keep each end-to-end test around a second; paging is exercised with
# small pages (Strava per_page, Withings page size) rather than with years of data.
YEARS = 0.06
END = date(2026, 11, 20)
RUN_TYPES = ("Run", "TrailRun", "VirtualRun")


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
                if a["sport_type"] in RUN_TYPES and not a.get("manual")}
        groups = [g for g in athlete.measure_groups if g["category"] == 1]
        weights = {f"{g['grpid']}:1" for g in groups if any(m["type"] == 1
                                                           for m in g["measures"])}
        rows = [r for r in athlete.sheet_rows[1:] if any(str(c).strip() for c in r)]
    return {"activities": activities, "runs": runs, "weights": weights, "rows": len(rows)}

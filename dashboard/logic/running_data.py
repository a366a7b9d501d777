"""What the running page reads beyond the runs: stored summaries, privacy zones, lifting loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import polyline

from analytics import heatmap, load, privacy, summary
from dashboard import data
from storage.base import Store

ZONES_SPACE = "privacy"
ZONES_KEY = "zones"
RUN_SPORTS = data.RUN_SPORTS


def zones(store: Store) -> list[privacy.Zone]:
    """The owner's privacy zones, read on every view (one small read): a zone just drawn hides
    its routes at once in every process, never after a cache lapses."""
    doc = store.get_doc(ZONES_SPACE, ZONES_KEY)
    return privacy.from_doc(doc.data if doc is not None else None)


def save_zones(store: Store, found: list[privacy.Zone]) -> None:
    if len(found) > privacy.MAX_ZONES:
        raise privacy.ZoneError(f"at most {privacy.MAX_ZONES} zones")
    store.put_doc(ZONES_SPACE, ZONES_KEY, privacy.to_doc(found))


@dataclass
class RunIndex:
    """Every activity with what its summary says, built once per data version."""

    activities: list[Any]
    summaries: dict[str, dict[str, Any]]
    # Per run: its start (UTC), its local day and its heatmap cells.
    run_ids: list[str] = field(default_factory=list)
    run_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="datetime64[s]"))
    run_cells: list[np.ndarray] = field(default_factory=list)


def _polyline_cells(encoded: Any) -> np.ndarray:
    """An activity stored before summaries (or with no stream) still paints its summary route."""
    if not isinstance(encoded, str) or not encoded:
        return np.zeros(0, dtype=np.int64)
    try:
        points = polyline.decode(encoded)
    except (ValueError, IndexError):
        return np.zeros(0, dtype=np.int64)
    return np.asarray(heatmap.cells(points), dtype=np.int64)


def _build(store: Store) -> RunIndex:
    activities = store.query("activities")
    summaries = {key: doc.data for key, doc in store.list_docs(summary.SPACE).items()}
    index = RunIndex(activities, summaries)
    starts = []
    for a in activities:
        if a.sport_type not in RUN_SPORTS:
            continue
        doc = summaries.get(a.id)
        cells = heatmap.decode(doc["cells"]) if doc and doc.get("cells") else \
            _polyline_cells(a.summary_polyline)
        index.run_ids.append(a.id)
        starts.append(_naive(a.start_time))
        index.run_cells.append(cells)
    index.run_starts = np.asarray(starts, dtype="datetime64[s]")
    return index


def run_index(store: Store) -> RunIndex:
    """Two Queries (activities, summaries) per data version, whatever the page asks."""
    return data.remembered(store, ("running-index",), lambda: _build(store))


def _naive(moment: datetime | date | None) -> np.datetime64 | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "s")
    return np.datetime64(moment.isoformat(), "s")


def cells_between(index: RunIndex, low: datetime | date | None,
                  high: datetime | date | None) -> list[np.ndarray]:
    """The heatmap cells of the runs that started in [low, high)."""
    keep = np.ones(len(index.run_ids), dtype=bool)
    lo, hi = _naive(low), _naive(high)
    if lo is not None:
        keep &= index.run_starts >= lo
    if hi is not None:
        keep &= index.run_starts < hi
    return [cells for cells, k in zip(index.run_cells, keep.tolist(), strict=True) if k]


def lifting_loads(store: Store) -> dict[date, float]:
    """Each day's lifting load (one Query of the log per data version)."""

    def read() -> dict[date, float]:
        sets = [load.Set(s.date, s.exercise, int(s.reps), float(s.weight_kg))
                for s in store.query("lift_sets")]
        return load.lifting_loads(sets)

    return data.remembered(store, ("lifting-loads",), read)

"""The athlete as store records, read by the collectors' own parsers: a store filled in seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from collectors.sources.sheets.parse import parse_sheet
from collectors.sources.strava.parse import parse_activities, parse_streams
from collectors.sources.withings.parse import parse_measures
from storage import Rejected

if TYPE_CHECKING:
    from demo.athlete.athlete import Athlete
    from storage import Store

KINDS = ("measurements", "activities", "streams", "lift_sets", "rejected")
SYNC_SPACE = "sync"  # where collectors.runner records each source's last run


def as_records(
    athlete: Athlete,
    *,
    streams: bool = True,
    stream_points: int | None = None,
    rejected: list[Rejected] | None = None,
) -> dict[str, Any]:
    """What a complete sync of the three sources would leave in the store, as lists by kind
    (`KINDS`), the sync status of each source (`sync`) and the day it was read (`today`).

    `stream_points` thins every stream to about that many samples (a small store, small
    answers); `rejected` replaces the quarantine the parsers would leave."""
    read_at = athlete.end
    with athlete.lock:
        activities = parse_activities([dict(a) for a in athlete.activities], read_at)
        withings = parse_measures({"measuregrps": athlete.measure_groups}, read_at)
        sheet = parse_sheet({"range": "Log!A1:E", "values": athlete.sheet_rows}, read_at)
    stream_records = []
    if streams:
        for activity_id in activities.stream_ids:
            raw = athlete.streams.get(int(activity_id))
            if raw:
                stream_records.append(parse_streams(activity_id, _keyed(raw, stream_points)))
    quarantine = rejected if rejected is not None else (
        activities.rejected + withings.rejected + sheet.rejected
    )
    fetched = {"strava": len(athlete.activities), "withings": len(athlete.measure_groups),
               "sheets": sheet.rows}
    stored = {"strava": len(activities.records) + len(stream_records),
              "withings": len(withings.records), "sheets": len(sheet.records)}
    when = read_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    sync = {
        source: {
            "last_success_at": when,
            "last_run_at": when,
            "last_outcome": "complete",
            "message": "",
            "fetched": fetched[source],
            "stored": stored[source],
            "deleted": 0,
            "rejected": sum(r.source == source for r in quarantine),
            "requests": 0,  # read straight from the athlete, not over HTTP
        }
        for source in ("strava", "withings", "sheets")
    }
    return {
        "measurements": sorted(withings.records, key=lambda m: (m.time, m.type)),
        "activities": sorted(activities.records, key=lambda a: a.start_time),
        "streams": stream_records,
        "lift_sets": sheet.records,
        "rejected": quarantine,
        "sync": sync,
        "today": read_at.date(),
    }


def load(store: Store, records: dict[str, Any]) -> None:
    """Writes what `as_records` made (any of its kinds) into `store`, sync status last."""
    for kind in KINDS:
        if records.get(kind):
            store.put(records[kind])
    for source, status in records.get("sync", {}).items():
        store.put_doc(SYNC_SPACE, source, status)


def _keyed(streams: dict[str, list[Any]], points: int | None) -> dict[str, Any]:
    """Streams as Strava answers `key_by_type=true`, every `len / points`-th sample kept."""
    size = len(streams["time"])
    keep = None
    if points is not None and size > points:
        keep = np.unique(np.linspace(0, size - 1, points).round().astype(int)).tolist()
    return {
        name: {"data": data if keep is None else [data[i] for i in keep],
               "series_type": "distance", "original_size": size, "resolution": "high"}
        for name, data in streams.items()
    }

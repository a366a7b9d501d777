"""One activity seen twice (Strava and a file, or two files): find it, and let streams fill gaps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

import numpy as np

from storage.base import Store
from storage.records import Activity, ActivityStream

START_WINDOW = timedelta(seconds=60)
DISTANCE_TOLERANCE = 0.02
# Below this both distances are "none" (a gym session): start time alone decides.
NO_DISTANCE_M = 50.0
# Sources in order of preference when one activity is seen more than once.
PREFERRED = ("strava",)
FILE_SOURCE = "file"


def same_activity(a: Activity, b: Activity) -> bool:
    if abs(a.start_time - b.start_time) > START_WINDOW:
        return False
    if a.event_id and a.event_id == b.event_id:
        # Legs of one multisport file are one upload: the same leg again, never its neighbour.
        return a.leg == b.leg
    da, db = a.distance_m or 0.0, b.distance_m or 0.0
    if da < NO_DISTANCE_M and db < NO_DISTANCE_M:
        return True
    return abs(da - db) <= DISTANCE_TOLERANCE * max(da, db)


def _rank(candidate: Activity, activity: Activity) -> tuple[int, int, float]:
    return (
        0 if candidate.id == activity.id else 1,
        0 if candidate.source in PREFERRED else 1,
        abs((candidate.start_time - activity.start_time).total_seconds()),
    )


def find_duplicate(
    store: Store, activity: Activity, pending: Iterable[Activity] = ()
) -> Activity | None:
    """The stored activity that is this one (start within 60 s, distance within 2 %), if any.

    One range query on the `activities` partition around the start time. `pending` holds
    activities accepted but not yet written (a batch in progress). The same record wins, then a
    Strava activity, then the nearest start.
    """
    low = activity.start_time - START_WINDOW
    # Sort keys carry whole seconds and the end bound is exclusive: one second more keeps +60 s.
    high = activity.start_time + START_WINDOW + timedelta(seconds=1)
    nearby = list(store.query("activities", start=low, end=high))
    nearby += [p for p in pending if low <= p.start_time < high]
    matches = [c for c in nearby if same_activity(c, activity)]
    if not matches:
        return None
    return min(matches, key=lambda c: _rank(c, activity))


SERIES = ("distance_m", "altitude_m", "velocity_mps", "heartrate_bpm", "latlng")


def _missing(stream: ActivityStream, name: str) -> bool:
    return not getattr(stream, name)


def fill_stream(
    existing: ActivityStream | None,
    incoming: ActivityStream,
    offset_s: float,
    activity_id: str,
) -> ActivityStream | None:
    """The stream to store for `activity_id` once `incoming` (a file's stream) is known.

    No stream yet: the file's, re-keyed. A stream with empty series: those series filled from
    the file, resampled onto the existing times (`offset_s` = file start − activity start).
    Nothing to fill: None (nothing to write, so importing twice changes nothing).
    """
    if existing is None or not existing.time_s:
        if not incoming.time_s:
            return None
        shifted = [round(t + offset_s, 1) for t in incoming.time_s]
        return ActivityStream(
            activity_id=activity_id,
            time_s=shifted,
            distance_m=incoming.distance_m,
            altitude_m=incoming.altitude_m,
            velocity_mps=incoming.velocity_mps,
            heartrate_bpm=incoming.heartrate_bpm,
            latlng=incoming.latlng,
        )
    gaps = [n for n in SERIES if _missing(existing, n) and not _missing(incoming, n)]
    if not gaps or not incoming.time_s:
        return None
    target = np.asarray(existing.time_s, dtype=float)
    source_t = np.asarray(incoming.time_s, dtype=float) + offset_s

    def resample(values: list[float], digits: int) -> list[float]:
        out = np.interp(target, source_t, np.asarray(values, dtype=float))
        return [round(float(v), digits) for v in out]

    filled: dict[str, object] = {}
    for name in gaps:
        if name == "latlng":
            assert incoming.latlng is not None
            lat = resample([p[0] for p in incoming.latlng], 6)
            lng = resample([p[1] for p in incoming.latlng], 6)
            filled[name] = [[a, b] for a, b in zip(lat, lng, strict=True)]
        else:
            digits = {"heartrate_bpm": 0, "velocity_mps": 2}.get(name, 1)
            filled[name] = resample(getattr(incoming, name), digits)
    merged = existing.to_dict() | filled
    return ActivityStream.from_dict(merged)


def with_file_provenance(activity: Activity) -> Activity:
    """The activity noting that the owner's own file brought it too (`also_from`): the
    forecaster may train on a copy the owner holds, never on what only Strava's API gave."""
    if activity.source == FILE_SOURCE:
        return activity
    also = [part for part in activity.also_from.split(",") if part]
    if FILE_SOURCE in also:
        return activity
    return replace(activity, also_from=",".join([*also, FILE_SOURCE]))


def kept_provenance(incoming: Activity, stored: Activity | None) -> Activity:
    """A provider's fresh copy of a stored activity keeps the other ways it reached the store: a
    re-sync knows only its own source."""
    if stored is None or not stored.also_from or incoming.also_from == stored.also_from:
        return incoming
    also = [p for p in incoming.also_from.split(",") if p]
    also += [p for p in stored.also_from.split(",") if p and p not in also]
    return replace(incoming, also_from=",".join(also))


def absorb_file_duplicates(
    store: Store, activities: Iterable[Activity], nearby: Iterable[Activity] | None = None
) -> list[str]:
    """After a provider sync: file-imported activities that are one of `activities` go, and
    their streams move to the provider's activity (whole when it has none, else into the series
    it lacks), which notes that a file brought it too (`also_from`). Returns the id of the
    activity kept, once per file activity that went.

    The file came first, the provider's record is the one kept (as when the file comes
    second). One range query for the whole batch, none when the caller already read the
    stored activities from 60 s before the earliest start to 60 s after the latest (`nearby`).
    Running it again finds nothing left to absorb.
    """
    incoming = [a for a in activities if a.source != FILE_SOURCE]
    if not incoming:
        return []
    if nearby is None:
        low = min(a.start_time for a in incoming) - START_WINDOW
        high = max(a.start_time for a in incoming) + START_WINDOW + timedelta(seconds=1)
        nearby = store.query("activities", start=low, end=high)
    files = [c for c in nearby if c.source == FILE_SOURCE]
    kept: list[str] = []
    for activity in incoming:
        for candidate in [c for c in files if same_activity(c, activity)]:
            stream = store.get("streams", candidate.id)
            if stream is not None:
                offset_s = (candidate.start_time - activity.start_time).total_seconds()
                moved = fill_stream(store.get("streams", activity.id), stream, offset_s,
                                    activity.id)
                if moved is not None:
                    store.put([moved])
                store.delete("streams", [candidate.id])
            marked = with_file_provenance(activity)
            if marked is not activity:
                store.put([marked])
                activity = marked
            # Last: until the activity goes, a run stopped half-way finds it again and redoes this.
            store.delete("activities", [candidate.sort_key()])
            files.remove(candidate)
            kept.append(activity.id)
    return kept

"""The synthetic athlete's activity files: a watch's folder of FIT files and a Strava export ZIP."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from demo.activity_files import ExportEntry, Sample, export_zip, fit_bytes, gz
from demo.athlete import Athlete, _make_activity, _streams_for
from storage.records import parse_iso_utc

RUN_TYPES = ("Run", "TrailRun")
# Export ids stay below the athlete's first Strava id, so they never name one of its activities.
EXPORT_FIRST_ID = 3_800_000_000
# The watch's file of a run also on Strava starts this much earlier (the watch was started
# before the upload was trimmed): well inside the 60 s that make two records one activity.
WATCH_LEAD_S = 2


def track(start: datetime, streams: Mapping[str, list[Any]]) -> list[Sample]:
    """Strava-shaped streams (time, distance, latlng, altitude, velocity_smooth, heartrate) as
    the samples of a file that starts at `start`."""
    times = streams["time"]
    latlng = streams.get("latlng")
    altitude = streams.get("altitude")
    heart = streams.get("heartrate")
    velocity = streams.get("velocity_smooth")
    return [
        Sample(
            time=start + timedelta(seconds=float(t)),
            lat=latlng[i][0] if latlng else None,
            lon=latlng[i][1] if latlng else None,
            altitude_m=altitude[i] if altitude else None,
            distance_m=float(streams["distance"][i]),
            speed_mps=float(velocity[i]) if velocity else 0.0,
            heartrate_bpm=int(heart[i]) if heart else None,
        )
        for i, t in enumerate(times)
    ]


def watch_run(athlete: Athlete, start: datetime, distance_m: float, key: int) -> list[Sample]:
    """A run on one of the athlete's loops, recorded by a watch, that Strava never saw."""
    rng = np.random.default_rng([athlete.seed, key])
    activity, plan = _make_activity(rng, key, start, "easy", distance_m, 25.0, plain=True)
    assert plan is not None  # a plain run always has a plan
    return track(start, _streams_for(activity, plan))


def watch_copy(athlete: Athlete, activity: Mapping[str, Any]) -> list[Sample]:
    """The watch's own recording of a Strava run: same track, with heart rate (the strap that
    Strava's copy may lack), starting WATCH_LEAD_S earlier."""
    with athlete.lock:
        plan = athlete._plans[int(activity["id"])]
    with_hr = {**activity, "average_heartrate": activity.get("average_heartrate") or 145.0}
    streams = _streams_for(with_hr, dataclasses.replace(plan, has_hr=True))
    start = parse_iso_utc(str(activity["start_date"])) - timedelta(seconds=WATCH_LEAD_S)
    shifted = {**streams, "time": [t + WATCH_LEAD_S for t in streams["time"]]}
    shifted["time"][0] = 0  # the watch's first sample is at its own start
    return track(start, shifted)


@dataclass(frozen=True)
class AthleteFiles:
    """What `write` made, and what importing it must give."""

    watch_folder: Path
    export_zip: Path
    new_activities: int  # not on the athlete's Strava: imported as new
    duplicate_of: str  # the Strava activity the watch folder also holds


def _free_days(athlete: Athlete, count: int) -> list[date]:
    """The most recent days without any activity: the watch's extra runs go there."""
    with athlete.lock:
        busy = {parse_iso_utc(a["start_date"]).date() for a in athlete.activities}
    day = athlete.end.date() - timedelta(days=1)
    found: list[date] = []
    while len(found) < count and day > athlete.start.date():
        if day not in busy:
            found.append(day)
        day -= timedelta(days=1)
    return found


def _recent_strava_run(athlete: Athlete) -> dict[str, Any]:
    """The newest run with streams and a map, preferring one whose streams lack heart rate
    (so the watch's file has something to add)."""
    with athlete.lock:
        runs = [a for a in athlete.activities if a["sport_type"] in RUN_TYPES
                and not a.get("manual") and a.get("map", {}).get("summary_polyline")
                and int(a["id"]) in athlete._plans]
    if not runs:
        raise ValueError("the athlete has no run with a GPS track to copy")
    without_hr = [a for a in runs[:30] if not athlete._plans[int(a["id"])].has_hr]
    return (without_hr or runs)[0]


def write(athlete: Athlete, root: Path, watch_runs: int = 3, export_runs: int = 3) -> AthleteFiles:
    """Writes `root/watch/` (FIT files, some gzipped, as a Garmin's folder holds them: the
    athlete's last `watch_runs` runs that never reached Strava, plus a copy of one that did) and
    `root/export.zip` (a Strava export of an older account: `export_runs` runs from before the
    synced history, in FIT, and one strength session entered by hand)."""
    folder = root / "watch"
    folder.mkdir(parents=True, exist_ok=True)
    for index, day in enumerate(_free_days(athlete, watch_runs)):
        start = datetime(day.year, day.month, day.day, 17, 30, tzinfo=UTC)
        points = watch_run(athlete, start, 5_000 + 1_000 * index, key=index + 1)
        data = fit_bytes(points)
        name = f"{start:%Y-%m-%d-%H-%M-%S}.fit"
        if index % 2:
            (folder / (name + ".gz")).write_bytes(gz(data))
        else:
            (folder / name).write_bytes(data)
    copied = _recent_strava_run(athlete)
    points = watch_copy(athlete, copied)
    (folder / f"{points[0].time:%Y-%m-%d-%H-%M-%S}.fit").write_bytes(fit_bytes(points))

    entries = []
    for index in range(export_runs):
        start = athlete.start - timedelta(days=9 * (index + 1), hours=-7)
        points = watch_run(athlete, start, 7_000 + 1_500 * index, key=100 + index)
        activity_id = EXPORT_FIRST_ID + index
        entries.append(ExportEntry(
            activity_id=activity_id, start=points[0].time, name=f"Old account run {index + 1}",
            kind="Run", distance_m=points[-1].distance_m,
            elapsed_s=(points[-1].time - points[0].time).total_seconds(),
            filename=f"activities/{activity_id}.fit.gz", content=gz(fit_bytes(points))))
    gym = athlete.start - timedelta(days=4, hours=-18)
    entries.append(ExportEntry(
        activity_id=EXPORT_FIRST_ID + export_runs, start=gym, name="Gym (entered by hand)",
        kind="Weight Training", distance_m=0.0, elapsed_s=3_600))
    archive = root / "export.zip"
    archive.write_bytes(export_zip(entries))
    return AthleteFiles(folder, archive, watch_runs + len(entries), str(copied["id"]))

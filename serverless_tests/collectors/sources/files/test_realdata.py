"""Every real device file beside the repository becomes what its README says, imported from
the command line's way in and through the drop box."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collectors.sources.files import import_paths, inbox
from serverless_tests.collectors.sources.files.conftest import REALDATA, TODAY, real_file
from storage.base import Store
from storage.records import Activity

# What each file must become (../shared/realdata/README.md): one dict per activity (per leg
# of a multisport file), or the words its refusal must hold. Distances in metres: a device's
# own total to the metre, one measured along the track ("≈") to 1 %.
EXPECTED: dict[str, list[dict[str, Any]] | str] = {
    "fit/2013-02-06-12-11-14.fit": [dict(
        sport="Run", start=datetime(2013, 2, 6, 12, 11, 14, tzinfo=UTC), distance_m=4835,
        moving_s=2625, gain_m=168, hr=147)],
    "fit/garmin-edge-500-activity.fit": [dict(
        sport="Ride", distance_m=92622, moving_s=10641, elapsed_s=12691, gain_m=541, hr=True)],
    "fit/developer-types-sample.fit": [dict(sport="Run", distance_m=6754)],
    "fit/event_timestamp.fit": [dict(sport="Swim", distance_m=2606, positions=False)],
    "fit/20170518-191602-1740899583.fit": [dict(sport=("Rowing", "VirtualRow"), hr=True)],
    "fit/null_compressed_speed_dist.fit": [dict(sport="VirtualRide", distance_m=13400,
                                                hr=False)],
    "fit/activity-large-fenxi2-multisport.fit": [
        dict(distance_m=25072), dict(sport="Run", distance_m=2245),
        dict(sport="Run", distance_m=12740), dict(sport="Ride", distance_m=28928)],
    "fit/Settings.fit": "not a recorded activity",
    "fit/invalid-activity-filecrc.fit": "checksum",
    "fit/compressed-speed-distance.fit": "clock was not set",
    "gpx/around-visnjan-with-car.gpx": [dict(distance_m=2733)],
    "gpx/cerknicko-jezero.gpx": [dict(about_m=4580)],
    "gpx/gpx1.0_with_all_fields.gpx": "single timed point",
    "gpx/route.gpx": "no track points with a time",
    "gpx/Mojstrovka.gpx": "before 1990",
    "gpx/gap-2025-08-29-Cadzand.gpx": [dict(about_m=2692, hr=False)],
    "tcx/tcxparser-test.tcx": [dict(sport="Run", distance_m=4689, hr=True)],
    "tcx/mapmyride_biking.tcx": [dict(sport="Ride", distance_m=15350)],
}


def check(store: Store, activity: Activity, want: dict[str, Any]) -> None:
    sport = want.get("sport")
    if sport is not None:
        assert activity.sport_type in (sport if isinstance(sport, tuple) else (sport,))
    for key, field in (("distance_m", "distance_m"), ("moving_s", "moving_time_s"),
                       ("elapsed_s", "elapsed_time_s"), ("gain_m", "elevation_gain_m")):
        if key in want:
            assert getattr(activity, field) == pytest.approx(want[key], abs=1), key
    if "about_m" in want:
        assert activity.distance_m == pytest.approx(want["about_m"], rel=0.01)
    if "start" in want:
        assert activity.start_time == want["start"]
    stream = store.get("streams", activity.id)
    assert stream is not None
    if "hr" in want:
        assert bool(stream.heartrate_bpm) == bool(want["hr"])
        assert (activity.average_heartrate_bpm is not None) == bool(want["hr"])
        if not isinstance(want["hr"], bool):
            assert activity.average_heartrate_bpm == pytest.approx(want["hr"], abs=1)
    if want.get("positions") is False:
        assert stream.latlng is None and activity.summary_polyline is None


def check_all(store: Store, outcomes: dict[str, Any]) -> None:
    stored = store.query("activities")
    for name, want in EXPECTED.items():
        outcome = outcomes[name]
        if isinstance(want, str):
            assert outcome.status == "rejected" and want in outcome.reason, name
            continue
        assert outcome.status == "imported", (name, outcome.reason)
        [first] = [a for a in stored if a.id == outcome.activity_id]
        found = ([a for a in stored if a.event_id == first.event_id] if first.event_id
                 else [first])
        assert len(found) == len(want), name
        for activity, wanted in zip(sorted(found, key=lambda a: a.leg), want, strict=True):
            check(store, activity, wanted)


def test_every_real_file_imports_as_its_readme_says(store):
    real_file("README.md")
    summary = import_paths(store, [REALDATA / "fit", REALDATA / "gpx", REALDATA / "tcx"],
                           now=TODAY)
    by_file = {str(Path(o.ref).relative_to(REALDATA)): o for o in summary.outcomes}
    assert set(by_file) == set(EXPECTED)
    check_all(store, by_file)


def test_every_real_file_dropped_in_the_inbox_ends_as_its_readme_says(sqlite_store, tmp_path):
    real_file("README.md")
    data_dir = tmp_path / "data"
    folder = data_dir / "inbox"
    for name in EXPECTED:
        # Copied into this test's own temporary inbox, never into the repository.
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REALDATA / name, target)
        past = time.time() - 60
        os.utime(target, (past, past))
    handled = inbox.poll(sqlite_store, now=TODAY, data_dir=data_dir)
    by_file = {h.key.removeprefix("inbox/"): h for h in handled}
    assert set(by_file) == set(EXPECTED)
    for name, want in EXPECTED.items():
        moved = by_file[name].moved_to
        assert moved == ("rejected/" if isinstance(want, str) else "imported/") + name
    outcomes = {name: h.summary.outcomes[0] for name, h in by_file.items()}
    check_all(sqlite_store, outcomes)
    assert not [p for p in folder.rglob("*") if p.is_file()]

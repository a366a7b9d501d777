"""Activity files keep the offset they were recorded with: FIT's local clock, GPX/TCX offsets."""

from __future__ import annotations

from datetime import date

import pytest

from collectors.sources.files.parse import parse, written_offset_s
from serverless_tests.collectors.sources.files.conftest import TODAY, real_file
from storage.records import Activity


def _activities(relative: str) -> list[Activity]:
    path = real_file(relative)
    parsed = parse(path.name, path.read_bytes(), TODAY)
    return [r for r in parsed.records if isinstance(r, Activity)]


@pytest.mark.parametrize(("relative", "offset_s", "local_day"), [
    # A Fenix 2 triathlon: activity message 16:06 local at 14:06 UTC, every leg at +02:00.
    ("fit/activity-large-fenxi2-multisport.fit", 7200, date(2015, 8, 29)),
    ("fit/event_timestamp.fit", -4 * 3600, date(2017, 6, 13)),
    # A clock never set writes 1989 as the local time: no offset rather than a wrong one.
    ("fit/null_compressed_speed_dist.fit", None, date(2017, 10, 5)),
    ("gpx/gap-2025-08-29-Cadzand.gpx", 7200, date(2025, 8, 29)),
    # Times written with Z say nothing of the place.
    ("gpx/cerknicko-jezero.gpx", None, date(2010, 8, 5)),
    ("tcx/mapmyride_biking.tcx", 0, date(2022, 11, 12)),
])
def test_real_files_offsets(relative: str, offset_s: int | None, local_day: date) -> None:
    activities = _activities(relative)
    assert activities
    assert {a.utc_offset_s for a in activities} == {offset_s}
    assert activities[0].local_date() == local_day


def test_a_late_run_with_an_offset_lands_on_its_local_day() -> None:
    gpx = b"""<?xml version="1.0"?><gpx version="1.1" creator="t"
      xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
      <trkpt lat="35.68" lon="139.76"><time>2026-11-30T23:30:00+09:00</time></trkpt>
      <trkpt lat="35.681" lon="139.761"><time>2026-11-30T23:31:00+09:00</time></trkpt>
      <trkpt lat="35.682" lon="139.762"><time>2026-11-30T23:32:00+09:00</time></trkpt>
      </trkseg></trk></gpx>"""
    run = next(r for r in parse("tokyo.gpx", gpx, TODAY).records if isinstance(r, Activity))
    assert run.start_time.isoformat() == "2026-11-30T14:30:00+00:00"
    assert (run.utc_offset_s, run.local_date()) == (9 * 3600, date(2026, 11, 30))


def test_written_offsets() -> None:
    assert written_offset_s(b"<Time>2022-11-12T10:58:25.000000-05:00</Time>") == -5 * 3600
    assert written_offset_s(b"<time>2022-11-12T10:58:25+05:30</time>") == 5 * 3600 + 1800
    assert written_offset_s(b"<time>2022-11-12T10:58:25Z</time>") is None
    assert written_offset_s(b"<time>not a time</time>") is None
    assert written_offset_s(b"<time>2022-11-12T10:58:25+23:00</time>") is None

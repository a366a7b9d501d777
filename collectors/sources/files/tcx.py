"""TCX activities (Garmin Training Center, older Strava uploads) read with tcxreader."""

from __future__ import annotations

import io
from xml.etree.ElementTree import ParseError

from tcxreader.tcxreader import TCXReader

from collectors.sources.files.track import FileRejected, Track


def parse(data: bytes) -> Track:
    try:
        # only_gps=False: a treadmill run has no positions but is still an activity. The reader
        # hands its argument to ElementTree, which takes a file object as well as a path.
        exercise = TCXReader().read(io.BytesIO(data), only_gps=False)
    except ParseError as exc:
        raise FileRejected(f"unreadable TCX file (XML: {exc}): export it again") from None
    except (ValueError, KeyError, TypeError, AttributeError, ZeroDivisionError) as exc:
        raise FileRejected(f"unreadable TCX file ({exc}): export it again") from None
    track = Track(fmt="tcx", sport=exercise.activity_type)
    for point in exercise.trackpoints:
        if point.time is None:
            track.untimed += 1
            continue
        track.add(
            point.time,
            lat=point.latitude,
            lon=point.longitude,
            altitude_m=point.elevation,
            distance_m=point.distance,
            speed_mps=(point.tpx_ext or {}).get("Speed"),
            heartrate_bpm=point.hr_value,
        )
    if exercise.distance and len(track):
        # The laps' DistanceMeters is what the device measured; the track's is the fallback.
        track.total_distance_m = float(exercise.distance)
    return track

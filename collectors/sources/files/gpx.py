"""GPX tracks (Strava and Garmin exports, most apps) read with gpxpy into a Track."""

from __future__ import annotations

from typing import Any

import gpxpy
import gpxpy.gpx

from collectors.sources.files.track import FileRejected, Track


def _heart_rate(extensions: list[Any]) -> float | None:
    """Garmin's TrackPointExtension (`gpxtpx:hr`), the de facto place for heart rate in GPX."""
    for ext in extensions:
        for element in ext.iter():
            tag = element.tag if isinstance(element.tag, str) else ""
            if tag.rsplit("}", 1)[-1].lower() in ("hr", "heartrate") and element.text:
                try:
                    return float(element.text)
                except ValueError:
                    return None
    return None


def parse(text: str) -> Track:
    try:
        document = gpxpy.parse(text)
    except gpxpy.gpx.GPXException as exc:
        raise FileRejected(f"unreadable GPX file ({exc}): export it again") from None
    track = Track(fmt="gpx")
    for trk in document.tracks:
        if track.sport is None and trk.type:
            track.sport = trk.type
        if not track.name and trk.name:
            track.name = trk.name.strip()
        for segment in trk.segments:
            track.new_segment()
            for point in segment.points:
                if point.time is None:
                    track.untimed += 1
                    continue
                track.add(
                    point.time,
                    lat=point.latitude,
                    lon=point.longitude,
                    altitude_m=point.elevation,
                    speed_mps=point.speed,
                    heartrate_bpm=_heart_rate(point.extensions),
                )
    if not track.name and document.name:
        track.name = document.name.strip()
    return track

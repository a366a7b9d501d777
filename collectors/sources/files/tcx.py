"""TCX activities (Garmin Training Center, older Strava uploads), read as a stream."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from collectors.sources.files.track import FileRejected, Track
from collectors.sources.files.xmlstream import events, local, moment, number


def _point(track: Track, point: ET.Element) -> None:
    values: dict[str, str | None] = {}
    for element in point.iter():
        name = local(element.tag)
        # Under HeartRateBpm the reading is `Value`; under Extensions/TPX the speed is `Speed`.
        values.setdefault(name, element.text)
    text = values.get("Time")
    time = moment(text)
    if time is None:
        if text and text.strip():
            raise FileRejected(f"unreadable TCX file (a time {text!r}): export it again")
        track.untimed += 1
        return
    track.add(
        time,
        lat=number(values.get("LatitudeDegrees")),
        lon=number(values.get("LongitudeDegrees")),
        altitude_m=number(values.get("AltitudeMeters")),
        distance_m=number(values.get("DistanceMeters")),
        speed_mps=number(values.get("Speed")),
        heartrate_bpm=number(values.get("Value")),
    )


def parse(data: bytes) -> Track:
    """Samples from every Trackpoint; the distance the device measured from the laps."""
    track = Track(fmt="tcx")
    laps_m = 0.0
    path: list[ET.Element] = []
    try:
        for event, element in events(data):
            if event == "start":
                path.append(element)
                if local(element.tag) == "Activity" and track.sport is None:
                    track.sport = element.get("Sport")
                continue
            path.pop()
            tag = local(element.tag)
            parent = local(path[-1].tag) if path else ""
            if tag == "Trackpoint":
                _point(track, element)
                path[-1].clear()  # read into the track's columns
            elif tag == "DistanceMeters" and parent == "Lap":
                laps_m += number(element.text) or 0.0
            elif tag == "Lap":
                path[-1].remove(element)
    except ET.ParseError as exc:
        raise FileRejected(f"unreadable TCX file (XML: {exc}): export it again") from None
    if laps_m and len(track):
        # The laps' DistanceMeters is what the device measured; the track's is the fallback.
        track.total_distance_m = laps_m
    return track

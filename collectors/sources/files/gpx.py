"""GPX tracks (Strava and Garmin exports, most apps), read as a stream into a Track."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from collectors.sources.files.track import FileRejected, Track
from collectors.sources.files.xmlstream import events, local, moment, number


def _heart_rate(point: ET.Element) -> float | None:
    """Garmin's TrackPointExtension (`gpxtpx:hr`), the de facto place for heart rate in GPX."""
    for child in point:
        if local(child.tag) != "extensions":
            continue
        for element in child.iter():
            if local(element.tag).lower() in ("hr", "heartrate") and element.text:
                return number(element.text)
    return None


def _point(track: Track, point: ET.Element) -> None:
    values = {local(child.tag): child.text for child in point}
    time = moment(values.get("time"))
    if time is None:
        track.untimed += 1
        return
    track.add(
        time,
        lat=number(point.get("lat")),
        lon=number(point.get("lon")),
        altitude_m=number(values.get("ele")),
        speed_mps=number(values.get("speed")),  # GPX 1.0 only
        heartrate_bpm=_heart_rate(point),
    )


def parse(data: bytes) -> Track:
    """Each `<trk>` and `<trkseg>` starts a segment; waypoints and routes are not samples."""
    track = Track(fmt="gpx")
    document_name = ""
    path: list[ET.Element] = []
    try:
        for event, element in events(data):
            if event == "start":
                path.append(element)
                if local(element.tag) in ("trk", "trkseg"):
                    track.new_segment()
                continue
            path.pop()
            tag = local(element.tag)
            parent = local(path[-1].tag) if path else ""
            if tag == "trkpt" and parent == "trkseg":
                _point(track, element)
                path[-1].clear()  # the points read so far are in the track's columns now
            elif tag == "name" and parent == "trk" and not track.name:
                track.name = (element.text or "").strip()
            elif tag == "type" and parent == "trk" and track.sport is None and element.text:
                track.sport = element.text.strip()
            elif tag == "name" and parent in ("gpx", "metadata") and not document_name:
                document_name = (element.text or "").strip()
            if len(path) == 1:
                path[0].clear()  # a whole waypoint, route or track is done with
    except ET.ParseError as exc:
        raise FileRejected(f"unreadable GPX file ({exc}): export it again") from None
    if not track.name:
        track.name = document_name
    return track

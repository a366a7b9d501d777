"""Activity files made on the spot: FIT (a minimal encoder), GPX, TCX, Strava's export ZIP.

The demo makes its watch folder and export with these; the tests make their files with them.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import struct
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fitdecode.utils import compute_crc

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
HOME = (48.8566, 2.3522)

# FIT base types (profile: base_type) and their invalid values, which readers take as "absent".
ENUM, UINT8, UINT16, SINT32, UINT32 = 0x00, 0x02, 0x84, 0x85, 0x86
_FORMAT = {ENUM: "B", UINT8: "B", UINT16: "H", SINT32: "i", UINT32: "I"}
_INVALID = {ENUM: 0xFF, UINT8: 0xFF, UINT16: 0xFFFF, SINT32: 0x7FFFFFFF, UINT32: 0xFFFFFFFF}
FIT_SPORTS = {"generic": 0, "running": 1, "cycling": 2, "swimming": 5, "training": 10,
              "walking": 11, "hiking": 17}
FIT_SUB_SPORTS = {"generic": 0, "treadmill": 1, "trail": 3, "indoor_cycling": 6,
                  "strength_training": 20, "virtual_activity": 58}
FIT_FILE_TYPES = {"activity": 4, "workout": 5, "course": 6}


@dataclass(frozen=True)
class Sample:
    time: datetime
    lat: float | None
    lon: float | None
    altitude_m: float | None
    distance_m: float
    speed_mps: float
    heartrate_bpm: int | None


def samples(
    start: datetime,
    n: int = 120,
    step_s: float = 5.0,
    speed_mps: float = 3.0,
    gps: bool = True,
    heart_rate: bool = True,
    climb_m: float = 40.0,
    origin: tuple[float, float] = HOME,
) -> list[Sample]:
    """A run out along a loop: constant speed, one hill of `climb_m`, heart rate drifting up."""
    out = []
    loop_m = max(speed_mps * step_s * (n - 1), 1.0)
    radius_deg = loop_m / (2 * math.pi) / 111_000
    for i in range(n):
        dist = speed_mps * step_s * i
        angle = 2 * math.pi * dist / loop_m
        out.append(
            Sample(
                time=start + timedelta(seconds=step_s * i),
                lat=origin[0] + radius_deg * math.sin(angle) if gps else None,
                lon=origin[1] + 1.5 * radius_deg * (math.cos(angle) - 1) if gps else None,
                altitude_m=50 + climb_m * math.sin(math.pi * i / max(n - 1, 1)),
                distance_m=dist,
                speed_mps=speed_mps,
                heartrate_bpm=(130 + i * 20 // max(n - 1, 1)) if heart_rate else None,
            )
        )
    return out


# --- FIT --------------------------------------------------------------------------------------


def _fit_time(moment: datetime) -> int:
    return int((moment - FIT_EPOCH).total_seconds())


def _semicircles(deg: float | None) -> int:
    return _INVALID[SINT32] if deg is None else round(deg * 2**31 / 180)


class FitWriter:
    """Header, definition and data messages, CRCs: just enough of the FIT protocol for the demo
    and the tests (no FIT writer is installed: fitdecode reads only)."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.defs: dict[int, list[tuple[int, int]]] = {}

    def define(self, local: int, global_num: int, fields: list[tuple[int, int]]) -> None:
        self.defs[local] = fields
        self.body += struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(fields))
        for num, base in fields:
            self.body += struct.pack("<BBB", num, struct.calcsize(_FORMAT[base]), base)

    def data(self, local: int, *values: int | None) -> None:
        self.body += struct.pack("<B", local)
        for (_, base), value in zip(self.defs[local], values, strict=True):
            raw = _INVALID[base] if value is None else value
            self.body += struct.pack("<" + _FORMAT[base], raw)

    def bytes(self) -> bytes:
        header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(self.body), b".FIT")
        header += struct.pack("<H", compute_crc(header))
        out = header + bytes(self.body)
        return out + struct.pack("<H", compute_crc(out))


def fit_bytes(
    points: list[Sample],
    sport: str = "running",
    sub_sport: str = "generic",
    file_type: str = "activity",
    session: bool = True,
) -> bytes:
    writer = FitWriter()
    writer.define(0, 0, [(0, ENUM), (1, UINT16), (2, UINT16), (4, UINT32)])
    writer.data(0, FIT_FILE_TYPES[file_type], 1, 1, _fit_time(points[0].time))
    writer.define(1, 20, [(253, UINT32), (0, SINT32), (1, SINT32), (2, UINT16), (3, UINT8),
                          (5, UINT32), (6, UINT16)])
    for p in points:
        writer.data(
            1,
            _fit_time(p.time),
            _semicircles(p.lat),
            _semicircles(p.lon),
            None if p.altitude_m is None else round((p.altitude_m + 500) * 5),
            p.heartrate_bpm,
            round(p.distance_m * 100),
            round(p.speed_mps * 1000),
        )
    if session:
        elapsed = (points[-1].time - points[0].time).total_seconds()
        hrs = [p.heartrate_bpm for p in points if p.heartrate_bpm is not None]
        alts = [p.altitude_m for p in points if p.altitude_m is not None]
        ascent = sum(max(b - a, 0.0) for a, b in zip(alts, alts[1:], strict=False))
        writer.define(2, 18, [(253, UINT32), (2, UINT32), (7, UINT32), (8, UINT32), (9, UINT32),
                              (5, ENUM), (6, ENUM), (14, UINT16), (15, UINT16), (16, UINT8),
                              (22, UINT16)])
        writer.data(
            2,
            _fit_time(points[-1].time),
            _fit_time(points[0].time),
            round(elapsed * 1000),
            round(elapsed * 1000),
            round(points[-1].distance_m * 100),
            FIT_SPORTS[sport],
            FIT_SUB_SPORTS[sub_sport],
            round(points[-1].distance_m / elapsed * 1000) if elapsed else 0,
            round(max(p.speed_mps for p in points) * 1000),
            round(sum(hrs) / len(hrs)) if hrs else None,
            round(ascent),
        )
    return writer.bytes()


# --- GPX and TCX ------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gpx_text(
    points: list[Sample], sport: str | None = "running", name: str = "Morning Run",
    times: bool = True,
) -> str:
    rows = []
    for p in points:
        hr = (
            "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>"
            f"{p.heartrate_bpm}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>"
            if p.heartrate_bpm is not None
            else ""
        )
        time = f"<time>{_iso(p.time)}</time>" if times else ""
        rows.append(
            f'<trkpt lat="{p.lat:.7f}" lon="{p.lon:.7f}"><ele>{p.altitude_m:.1f}</ele>'
            f"{time}{hr}</trkpt>"
        )
    kind = f"<type>{sport}</type>" if sport else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="tests" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>{name}</name>{kind}<trkseg>{''.join(rows)}</trkseg></trk></gpx>\n"
    )


def tcx_bytes(points: list[Sample], sport: str = "Running", leading_blank: bool = False) -> bytes:
    rows = []
    for p in points:
        position = (
            f"<Position><LatitudeDegrees>{p.lat:.7f}</LatitudeDegrees>"
            f"<LongitudeDegrees>{p.lon:.7f}</LongitudeDegrees></Position>"
            if p.lat is not None
            else ""
        )
        hr = (
            f"<HeartRateBpm><Value>{p.heartrate_bpm}</Value></HeartRateBpm>"
            if p.heartrate_bpm is not None
            else ""
        )
        rows.append(
            f"<Trackpoint><Time>{_iso(p.time)}</Time>{position}"
            f"<AltitudeMeters>{p.altitude_m:.1f}</AltitudeMeters>"
            f"<DistanceMeters>{p.distance_m:.1f}</DistanceMeters>{hr}</Trackpoint>"
        )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        'TrainingCenterDatabase/v2"><Activities>'
        f'<Activity Sport="{sport}"><Id>{_iso(points[0].time)}</Id>'
        f'<Lap StartTime="{_iso(points[0].time)}">'
        f"<DistanceMeters>{points[-1].distance_m:.1f}</DistanceMeters>"
        f"<Track>{''.join(rows)}</Track></Lap></Activity></Activities></TrainingCenterDatabase>\n"
    )
    return (b"\n   \n" if leading_blank else b"") + text.encode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# --- Strava's "download your data" archive ------------------------------------------------------

EXPORT_HEADER = [
    "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
    "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute",
    "Activity Private Note", "Activity Gear", "Filename", "Athlete Weight", "Bike Weight",
    "Elapsed Time", "Moving Time", "Distance", "Max Speed", "Average Speed", "Elevation Gain",
    "Elevation Loss", "Average Heart Rate",
]


@dataclass(frozen=True)
class ExportEntry:
    activity_id: int
    start: datetime
    name: str
    kind: str  # Strava's display name, e.g. "Run", "Weight Training"
    distance_m: float
    elapsed_s: float
    filename: str = ""  # e.g. activities/123.fit.gz ("" for a manual entry)
    content: bytes | None = None


def export_csv(entries: list[ExportEntry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    for e in entries:
        date = e.start.strftime("%b %d, %Y, %I:%M:%S %p").replace(" 0", " ")
        row = {
            "Activity ID": str(e.activity_id), "Activity Date": date, "Activity Name": e.name,
            "Activity Type": e.kind, "Filename": e.filename,
        }
        values = [row.get(h, "") for h in EXPORT_HEADER]
        values[5] = values[15] = str(int(e.elapsed_s))
        values[16] = f"{e.elapsed_s:.1f}"
        values[6] = f"{e.distance_m / 1000:.2f}"
        values[17] = f"{e.distance_m:.1f}"
        writer.writerow(values)
    return buffer.getvalue()


def export_zip(entries: list[ExportEntry], extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities.csv", export_csv(entries))
        zf.writestr("profile.csv", "Athlete ID\n1\n")
        zf.writestr("media/photo.jpg", b"\xff\xd8\xff not really a photo")
        for e in entries:
            if e.filename and e.content is not None:
                zf.writestr(e.filename, e.content)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()

"""The pure parse of one activity file (FIT, GPX, TCX, each optionally gzipped): bytes → records."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import zlib
from datetime import datetime

from collectors.parsing import Parsed
from collectors.sources.files import fit, gpx, tcx
from collectors.sources.files.totals import to_records
from collectors.sources.files.track import SOURCE, FileRejected, Track
from storage.records import Activity, ActivityStream, Rejected

FORMATS = ("fit", "gpx", "tcx")
# The largest real activity files are a few MB (a 24-hour FIT at 1 Hz is ~5 MB); anything that
# decompresses past this is refused rather than allowed to fill memory.
MAX_FILE_BYTES = 64 * 2**20
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20
NOT_ACTIVITY = (
    "not an activity file: Pulseboard reads .fit, .gpx and .tcx (each optionally .gz) and "
    "Strava's export .zip"
)


def split_name(name: str) -> tuple[str, bool] | None:
    """(format, gzipped) from a file name such as `123.fit.gz`; None if not an activity file."""
    lowered = name.lower()
    gz = lowered.endswith(".gz")
    if gz:
        lowered = lowered[:-3]
    fmt = lowered.rsplit(".", 1)[-1] if "." in lowered else ""
    return (fmt, gz) if fmt in FORMATS else None


def is_activity_name(name: str) -> bool:
    return split_name(name) is not None


def _xml_head(data: bytes) -> bytes:
    return data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()


def sniff(data: bytes) -> str | None:
    """What the content is, whatever the name says: fit, gpx, tcx, gzip, zip, xml or None."""
    if fit.looks_like(data):
        return "fit"
    if data[:2] == GZIP_MAGIC:
        return "gzip"
    if data[:4] == ZIP_MAGIC:
        return "zip"
    head = _xml_head(data)
    if head.startswith(b"<"):
        if b"<gpx" in head:
            return "gpx"
        if b"trainingcenterdatabase" in head:
            return "tcx"
        return "xml"
    return None


_DESCRIBED = {
    "fit": "a FIT file",
    "gpx": "a GPX file",
    "tcx": "a TCX file",
    "gzip": "gzip-compressed",
    "zip": "a ZIP archive",
    "xml": "XML of another kind",
    None: "not an activity file",
}


def gunzip(data: bytes, limit: int = MAX_FILE_BYTES) -> bytes:
    """Decompresses in steps so a gzip bomb is stopped at `limit`, not after filling memory."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = data
    try:
        while pending:
            out += inflater.decompress(pending, _CHUNK)
            if len(out) > limit:
                raise FileRejected(
                    f"expands past the {limit // 2**20} MB limit for one activity file: "
                    "not an activity, or a damaged archive"
                )
            pending = inflater.unconsumed_tail
        out += inflater.flush()
    except zlib.error as exc:
        raise FileRejected(f"damaged gzip data ({exc}): compress the file again") from None
    if not inflater.eof:
        raise FileRejected("truncated gzip data (it ends early): copy the file again")
    if len(out) > limit:
        raise FileRejected(f"expands past the {limit // 2**20} MB limit for one activity file")
    return bytes(out)


def activity_id(data: bytes) -> str:
    """Stable from the (uncompressed) content: the same file imported twice is the same record."""
    return "file-" + hashlib.sha256(data).hexdigest()[:20]


def parse(
    name: str, data: bytes, now: datetime, limit: int = MAX_FILE_BYTES
) -> Parsed[Activity | ActivityStream]:
    """One named file's activity and its stream; raises FileRejected with a reason the user
    can act on when the file as a whole is not a usable activity."""
    kind = split_name(name)
    if kind is None:
        raise FileRejected(NOT_ACTIVITY)
    fmt, gz = kind
    if gz:
        if data[:2] != GZIP_MAGIC:
            raise FileRejected(
                f"named .{fmt}.gz but not gzip-compressed: rename it to .{fmt}"
                if sniff(data) == fmt
                else f"named .{fmt}.gz but not gzip-compressed ({_DESCRIBED[sniff(data)]})"
            )
        data = gunzip(data, limit)
    elif len(data) > limit:
        raise FileRejected(f"larger than the {limit // 2**20} MB limit for one activity file")
    found = sniff(data)
    if not data:
        raise FileRejected("empty file: copy it again")
    if found is None and fmt == "fit":
        raise FileRejected(
            "named .fit but has no FIT header (damaged, or another format): copy it again"
        )
    if found != fmt:
        hint = f": rename it to .{found}" if found in FORMATS else ""
        if found == "gzip":
            hint = f": rename it to .{fmt}.gz"
        raise FileRejected(
            f"named .{fmt} but its content is {_DESCRIBED.get(found, found)}{hint}"
        )
    if fmt == "fit":
        tracks, offset_s = fit.parse_with_offset(data)
    elif fmt == "gpx":
        tracks, offset_s = [gpx.parse(data)], written_offset_s(data)
    else:
        tracks, offset_s = [tcx.parse(data)], written_offset_s(data)
    parsed = _records(tracks, activity_id(data), now)
    if offset_s is not None:
        parsed.records = [dataclasses.replace(r, utc_offset_s=offset_s)
                          if isinstance(r, Activity) else r for r in parsed.records]
    return parsed


_TIME_TEXT = re.compile(rb"<(?:[\w-]+:)?[Tt]ime>\s*([0-9][0-9T:.+\-]{9,40}Z?)\s*</")
_OFFSET_SCAN_BYTES = 1 << 20


def written_offset_s(data: bytes) -> int | None:
    """The UTC offset a GPX or TCX file's first time is written with ("…T07:12:04+01:00"):
    where it was recorded. None for "Z" (a writer's choice that says nothing of the place)."""
    found = _TIME_TEXT.search(data, 0, _OFFSET_SCAN_BYTES)
    if found is None or found.group(1).endswith(b"Z"):
        return None
    try:
        offset = datetime.fromisoformat(found.group(1).decode("ascii")).utcoffset()
    except (ValueError, UnicodeDecodeError):
        return None
    if offset is None or abs(offset.total_seconds()) > 14 * 3600:
        return None
    return round(offset.total_seconds())


def _records(tracks: list[Track], base_id: str, now: datetime) -> Parsed[Activity | ActivityStream]:
    """Each track's activity and stream; the legs of a multisport file linked as one event."""
    if len(tracks) == 1:
        return Parsed(records=list(to_records(tracks[0], base_id, now)))
    parsed: Parsed[Activity | ActivityStream] = Parsed()
    refusals: list[FileRejected] = []
    for leg, track in enumerate(tracks, start=1):
        try:
            activity, stream = to_records(track, f"{base_id}-{leg}", now)
        except FileRejected as exc:
            # One unusable leg (no samples, impossible totals) does not take the others along.
            refusals.append(exc)
            parsed.rejected.append(Rejected(source=SOURCE, ref=f"#leg{leg}", reason=str(exc),
                                            raw="", seen_at=now))
            continue
        activity = dataclasses.replace(activity, event_id=base_id, leg=leg, legs=len(tracks))
        parsed.records += [activity, stream]
    if not parsed.records:
        raise refusals[0]
    return parsed

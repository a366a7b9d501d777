"""Helpers for the activity-file tests: one file read into its activity and stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collectors.sources.files.parse import MAX_FILE_BYTES, parse
from collectors.sources.files.pool import SEEN_SPACE
from demo.activity_files import ExportEntry, fit_bytes, gpx_text, gz, samples, tcx_bytes
from storage.base import Store
from storage.records import Activity, ActivityStream

# The tests' "today": every generated activity lies before it.
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)
# The real files were recorded up to this year: read them as of today.
TODAY = datetime.now(UTC)
# The real device files beside the repository (see their README); never copied into it.
REALDATA = Path(__file__).resolve().parents[4].parent / "shared" / "realdata"


def read_activity(
    name: str, data: bytes, now: datetime, limit: int = MAX_FILE_BYTES
) -> tuple[Activity, ActivityStream]:
    """The one activity a single-sport file holds, and its stream."""
    records = parse(name, data, now, limit).records
    [activity] = [r for r in records if isinstance(r, Activity)]
    [stream] = [r for r in records if isinstance(r, ActivityStream)]
    return activity, stream


def real_file(relative: str) -> Path:
    path = REALDATA / relative
    if not REALDATA.is_dir():
        pytest.skip(f"the real device files are not beside the repository ({REALDATA})")
    return path


def rejected(name: str, data: bytes, now: datetime = NOW) -> str:
    """Why the file is refused (the test fails if it is not)."""
    from collectors.sources.files.track import FileRejected

    with pytest.raises(FileRejected) as caught:
        parse(name, data, now)
    return str(caught.value)


def snapshot(store: Store, seen: bool = True) -> dict[str, list]:
    """Everything an import may write; `seen` includes the index of files already imported."""
    out: dict[str, list] = {kind: [r.to_dict() for r in store.query(kind)]
                            for kind in ("activities", "streams", "rejected")}
    out["sync"] = [d.data for d in store.list_docs("sync").values()]
    if seen:
        out["seen"] = sorted((k, d.version, d.data)
                             for k, d in store.list_docs(SEEN_SPACE).items())
    return out


def garmin_folder(root: Path, days: int = 4) -> list[list]:
    """A Garmin-like folder: one FIT per day (some gzipped, one in a subfolder) plus clutter."""
    root.mkdir(parents=True, exist_ok=True)
    runs = []
    for d in range(days):
        points = samples(DAY + timedelta(days=d), n=80 + 10 * d, speed_mps=2.8 + 0.1 * d)
        runs.append(points)
        data = fit_bytes(points)
        if d % 2:
            (root / f"{d:03d}.fit.gz").write_bytes(gz(data))
        elif d == 2:
            (root / "sub").mkdir(exist_ok=True)
            (root / "sub" / f"{d:03d}.FIT").write_bytes(data)
        else:
            (root / f"{d:03d}.fit").write_bytes(data)
    (root / "readme.txt").write_text("not an activity")
    (root / ".DS_Store").write_bytes(b"\0\0")
    return runs


def export_entries() -> list[ExportEntry]:
    entries = []
    for d in range(3):
        points = samples(DAY + timedelta(days=2 * d), n=90)
        fmt = ("fit", "gpx", "tcx")[d]
        content = {"fit": gz(fit_bytes(points)), "gpx": gpx_text(points, sport="9").encode(),
                   "tcx": gz(tcx_bytes(points, sport="Other", leading_blank=True))}[fmt]
        suffix = {"fit": ".fit.gz", "gpx": ".gpx", "tcx": ".tcx.gz"}[fmt]
        entries.append(ExportEntry(
            activity_id=1000 + d, start=points[0].time, name=f"Export run {d}",
            kind="Trail Run" if d == 2 else "Run", distance_m=points[-1].distance_m,
            elapsed_s=(points[-1].time - points[0].time).total_seconds(),
            filename=f"activities/{1000 + d}{suffix}", content=content))
    entries.append(ExportEntry(activity_id=2000, start=DAY + timedelta(days=1, hours=12),
                               name="Gym", kind="Weight Training", distance_m=0, elapsed_s=3600))
    return entries


def write_bytes_named(folder: Path, raw_name: bytes, data: bytes) -> None:
    """A file whose name is raw bytes (not UTF-8, as a camera or an old Windows zip leaves)."""
    import os

    try:
        with open(os.fsencode(folder) + b"/" + raw_name, "wb") as handle:
            handle.write(data)
    except (OSError, ValueError):
        pytest.skip("this file system refuses names that are not UTF-8")

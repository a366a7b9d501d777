"""What to import: files, folders and ZIP archives expanded into items, with bombs refused."""

from __future__ import annotations

import contextlib
import functools
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from collectors.sources.files import strava_export
from collectors.sources.files.outcomes import Outcome, is_utf8, not_utf8
from collectors.sources.files.parse import MAX_FILE_BYTES, NOT_ACTIVITY, is_activity_name
from collectors.sources.files.track import FileRejected
from core.errors import PulseboardError

# What an archive may expand to, counting only the members read (activity files and
# activities.csv; a Strava export's media are never opened). Strava exports of many years of
# activities are a few GB with media, a few hundred MB without.
MAX_ARCHIVE_BYTES = 2 * 2**30
EXPORT_CSV = "activities.csv"

Reader = Callable[[], bytes]


class PathsNotFound(PulseboardError):
    """A path given does not exist: a usage error, not a data problem."""


@dataclass(frozen=True)
class Limits:
    file_bytes: int = MAX_FILE_BYTES
    archive_bytes: int = MAX_ARCHIVE_BYTES


@dataclass
class Item:
    """One thing to import: an activity file (read lazily) or a manual entry of an export."""

    ref: str
    name: str
    read: Reader | None = None
    row: strava_export.ExportRow | None = None
    # From an export's activities.csv: Strava's own name and sport type win over the file's.
    name_override: str = ""
    sport_override: str = ""


def _unsafe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        path.is_absolute()
        or ".." in path.parts
        or "\\" in name
        or (len(name) > 1 and name[1] == ":")
    )


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], cap: int) -> bytes:
    """A member's bytes, counted against the member cap and the archive's remaining budget as
    they are inflated, not taken from the archive's (forgeable) size fields."""
    out = bytearray()
    try:
        with zf.open(info) as handle:
            while chunk := handle.read(1 << 20):
                out += chunk
                budget[0] -= len(chunk)
                if len(out) > cap:
                    raise FileRejected(
                        f"expands past the {cap // 2**20} MB limit for one activity file"
                    )
                if budget[0] < 0:
                    raise FileRejected("the archive expands past its size limit; nothing more read")
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise FileRejected(f"damaged archive member ({exc}): download the archive again") from None
    return bytes(out)


def archive_items(
    zf: zipfile.ZipFile, label: str, limits: Limits
) -> tuple[list[Item], list[Outcome]]:
    """Items in an open ZIP (a Strava export or any archive of activity files) and the members
    refused before reading (unsafe paths, declared sizes over the limits)."""
    rejected: list[Outcome] = []
    wanted: list[zipfile.ZipInfo] = []
    csv_info: zipfile.ZipInfo | None = None
    for info in zf.infolist():
        if info.is_dir():
            continue
        ref = f"{label}:{info.filename}"
        if _unsafe_member(info.filename):
            rejected.append(
                Outcome(ref, "rejected", "member path points outside the archive; not read")
            )
            continue
        base = PurePosixPath(info.filename).name
        if base.lower() == EXPORT_CSV and (
            csv_info is None or len(info.filename) < len(csv_info.filename)
        ):
            csv_info = info
        elif is_activity_name(base):
            wanted.append(info)
    declared = sum(i.file_size for i in wanted) + (csv_info.file_size if csv_info else 0)
    if declared > limits.archive_bytes:
        return [], [
            Outcome(
                label,
                "rejected",
                f"archive expands to {declared / 2**20:.0f} MB, over the "
                f"{limits.archive_bytes / 2**20:.0f} MB limit; import its activities/ folder "
                "in parts",
            )
        ]
    budget = [limits.archive_bytes]
    rows_by_file: dict[str, strava_export.ExportRow] = {}
    manual: list[strava_export.ExportRow] = []
    root = ""
    if csv_info is not None:
        root = str(PurePosixPath(csv_info.filename).parent).removeprefix(".")
        try:
            text = _read_capped(zf, csv_info, budget, limits.file_bytes).decode("utf-8-sig")
            export = strava_export.parse(text)
            rejected += [Outcome(f"{label}:{EXPORT_CSV}#{line}", "rejected", reason)
                         for line, reason in export.refused]
            for row in export.rows:
                if row.filename:
                    rows_by_file[str(PurePosixPath(root, row.filename))] = row
                else:
                    manual.append(row)
        except (FileRejected, UnicodeDecodeError) as exc:
            rejected.append(Outcome(f"{label}:{csv_info.filename}", "rejected", str(exc)))
    items: list[Item] = []
    seen: set[str] = set()
    for info in wanted:
        seen.add(info.filename)
        if info.file_size > limits.file_bytes:
            rejected.append(
                Outcome(
                    f"{label}:{info.filename}",
                    "rejected",
                    f"declares {info.file_size / 2**20:.0f} MB, over the "
                    f"{limits.file_bytes // 2**20} MB limit for one activity file",
                )
            )
            continue
        listed = rows_by_file.get(info.filename)
        items.append(
            Item(
                ref=f"{label}:{info.filename}",
                name=info.filename,
                read=functools.partial(_read_capped, zf, info, budget, limits.file_bytes),
                name_override=listed.name if listed else "",
                sport_override=listed.sport_type if listed else "",
            )
        )
    # Rows whose file is absent (Strava leaves some out) still have a summary worth keeping.
    manual += [row for path, row in rows_by_file.items() if path not in seen]
    for row in manual:
        ref = f"{label}:{EXPORT_CSV}#{row.activity_id or row.line}"
        items.append(Item(ref=ref, name="", row=row))
    return items, rejected


def expand(
    paths: Iterable[Path], limits: Limits, stack: contextlib.ExitStack
) -> tuple[list[Item], list[Outcome], int]:
    """Files, folders and archives → items to import, outcomes already decided, files skipped."""
    items: list[Item] = []
    decided: list[Outcome] = []
    skipped = 0
    paths = list(paths)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise PathsNotFound(f"no such file or folder: {', '.join(missing)}; check the path")

    def add_file(path: Path, explicit: bool) -> None:
        nonlocal skipped
        name = path.name
        if not is_utf8(str(path)):
            decided.append(not_utf8(str(path)))
            return
        if name.lower().endswith(".zip"):
            try:
                zf = stack.enter_context(zipfile.ZipFile(path))
            except (zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
                # A member name flagged UTF-8 that is not cannot even be listed.
                reason = f"not a readable ZIP archive ({exc})"
                decided.append(Outcome(str(path), "rejected", reason))
                return
            found, refused = archive_items(zf, str(path), limits)
            items.extend(found)
            decided.extend(refused)
        elif is_activity_name(name):
            size_bytes = path.stat().st_size
            if size_bytes > limits.file_bytes:
                # Looked up before reading: a 700 MB "activity" is never read into memory.
                decided.append(Outcome(str(path), "rejected", (
                    f"{size_bytes / 2**20:.0f} MB, larger than the {limits.file_bytes // 2**20} "
                    "MB limit for one activity file; not read")))
                return
            items.append(Item(ref=str(path), name=name, read=path.read_bytes))
        elif explicit:
            decided.append(Outcome(str(path), "rejected", NOT_ACTIVITY))
        else:
            skipped += 1

    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    add_file(child, explicit=False)
        else:
            add_file(path, explicit=True)
    return items, decided, skipped

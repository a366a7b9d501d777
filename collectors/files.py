"""Activity files as a source: `python -m collectors import PATH…` and the `import_paths` API."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import hashlib
import itertools
import multiprocessing
import os
import sys
import traceback
import zipfile
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from collectors import dedupe
from collectors.fileformats import (
    MAX_FILE_BYTES,
    FileRejected,
    is_activity_name,
    read_activity,
    sniff,
    strava_export,
)
from collectors.fileformats.track import SOURCE
from storage.base import Store
from storage.records import Activity, ActivityStream, Record, Rejected, iso_utc

# What an archive may expand to, counting only the members read (activity files and
# activities.csv; a Strava export's media are never opened). Strava exports of many years of
# activities are a few GB with media, a few hundred MB without.
MAX_ARCHIVE_BYTES = 2 * 2**30
EXPORT_CSV = "activities.csv"
FLUSH_RECORDS = 50
# Below this many files a process pool costs more to start than it saves.
PARALLEL_MIN_ITEMS = 16
SYNC_KEY = "files"
# Index of files already imported: sha256 of the bytes as read → the activity kept for them.
SEEN_SPACE = "files-seen"

Reader = Callable[[], bytes]


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


@dataclass(frozen=True)
class Outcome:
    ref: str
    status: str  # imported | duplicate | rejected
    reason: str = ""
    activity_id: str = ""


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: int = 0
    # Index of the first item not imported when a run was told to stop early (a Lambda running
    # out of time); None when every item was seen.
    stopped_at: int | None = None

    def _count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def imported(self) -> int:
        return self._count("imported")

    @property
    def duplicates(self) -> int:
        return self._count("duplicate")

    @property
    def rejected(self) -> int:
        return self._count("rejected")

    @property
    def rejections(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def line(self) -> str:
        text = f"imported {self.imported}, duplicates {self.duplicates}, rejected {self.rejected}"
        return text + (f", skipped {self.skipped} non-activity files" if self.skipped else "")


class PathsNotFound(Exception):
    """A path given does not exist: a usage error, not a data problem."""


# --- finding what to import ------------------------------------------------------------------


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
            for row in strava_export.parse(text):
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
        if name.lower().endswith(".zip"):
            try:
                zf = stack.enter_context(zipfile.ZipFile(path))
            except (zipfile.BadZipFile, OSError) as exc:
                reason = f"not a readable ZIP archive ({exc})"
                decided.append(Outcome(str(path), "rejected", reason))
                return
            found, refused = archive_items(zf, str(path), limits)
            items.extend(found)
            decided.extend(refused)
        elif is_activity_name(name):
            items.append(Item(ref=str(path), name=name, read=path.read_bytes))
        elif explicit:
            decided.append(
                Outcome(
                    str(path),
                    "rejected",
                    "not an activity file: Pulseboard reads .fit, .gpx and .tcx (each optionally "
                    ".gz) and Strava's export .zip",
                )
            )
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


# --- importing ---------------------------------------------------------------------------------


class _Batch:
    """Writes in batches, and remembers what is accepted but not yet written for dedupe."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.records: list[Record] = []
        self.activities: dict[str, Activity] = {}
        self.streams: dict[str, ActivityStream] = {}
        self.seen: dict[str, Activity] = {}

    def add(self, *records: Record) -> None:
        for record in records:
            self.records.append(record)
            if isinstance(record, Activity):
                self.activities[record.id] = record
            elif isinstance(record, ActivityStream):
                self.streams[record.activity_id] = record
        if len(self.records) >= FLUSH_RECORDS:
            self.flush()

    def mark_seen(self, digest: str, activity: Activity) -> None:
        if digest:
            self.seen[digest] = activity

    def stream(self, activity_id: str) -> ActivityStream | None:
        if activity_id in self.streams:
            return self.streams[activity_id]
        return self.store.get("streams", activity_id)

    def flush(self) -> None:
        if self.records:
            self.store.put(self.records)
        # After the records: a file is only "seen" once what it brought is stored.
        for digest, activity in self.seen.items():
            entry = {"activity_id": activity.id, "sort_key": activity.sort_key()}
            self.store.put_doc(SEEN_SPACE, digest, entry)
        self.records, self.activities, self.streams, self.seen = [], {}, {}, {}


@dataclass(frozen=True)
class Parsed:
    """What reading one item gave: its records, why it was refused, or the stored activity
    the very same bytes were imported as before."""

    activity: Activity | None = None
    stream: ActivityStream | None = None
    reason: str = ""
    digest: str = ""
    known: Activity | None = None


def _load(item: Item) -> bytes:
    assert item.read is not None
    try:
        return item.read()
    except OSError as exc:
        raise FileRejected(f"cannot read it ({exc.strerror or exc})") from None


def _parse_data(
    name: str, data: bytes, now: datetime, name_override: str = "", sport_override: str = ""
) -> Parsed:
    """Pure and picklable: runs in a worker process when an import uses several."""
    try:
        activity, stream = read_activity(name, data, now)
    except FileRejected as exc:
        return Parsed(reason=str(exc))
    except Exception as exc:  # a parser tripping on an odd file must not stop the batch
        return Parsed(
            reason=f"could not be read ({type(exc).__name__}: {exc}); please report this file"
        )
    changes: dict[str, Any] = {}
    if name_override:
        changes["name"] = name_override
    if sport_override:
        changes["sport_type"] = sport_override
    if changes:
        activity = dataclasses.replace(activity, **changes)
    return Parsed(activity=activity, stream=stream)


def _known(store: Store, digest: str) -> Activity | None:
    """The activity these exact bytes were imported as, if it is still stored."""
    doc = store.get_doc(SEEN_SPACE, digest)
    if doc is None:
        return None
    return store.get("activities", str(doc.data.get("sort_key", "")))


def _prepare(store: Store, item: Item, now: datetime) -> tuple[Parsed | None, bytes, str]:
    """Everything but the parsing (which may run elsewhere): a final answer, or the bytes to
    parse and their digest.

    A file seen before is answered from the index without parsing: re-importing a device's
    whole folder every week costs a lookup per old file, not a parse."""
    try:
        if item.row is not None:
            return Parsed(activity=strava_export.manual_activity(item.row, now)), b"", ""
        data = _load(item)
    except FileRejected as exc:
        return Parsed(reason=str(exc)), b"", ""
    digest = hashlib.sha256(data).hexdigest()
    known = _known(store, digest)
    if known is not None:
        return Parsed(digest=digest, known=known), b"", digest
    return None, data, digest


def _parse(store: Store, item: Item, now: datetime) -> Parsed:
    answer, data, digest = _prepare(store, item, now)
    if answer is not None:
        return answer
    parsed = _parse_data(item.name, data, now, item.name_override, item.sport_override)
    return dataclasses.replace(parsed, digest=digest)


def import_item(
    store: Store, item: Item, batch: _Batch, now: datetime, parsed: Parsed | None = None
) -> Outcome:
    parsed = _parse(store, item, now) if parsed is None else parsed
    if parsed.reason:
        return Outcome(item.ref, "rejected", parsed.reason)
    if parsed.known is not None:
        known = parsed.known
        note = f"this file was imported before ({known.source} {known.id})"
        return Outcome(item.ref, "duplicate", note, activity_id=known.id)
    activity, stream = parsed.activity, parsed.stream
    assert activity is not None
    duplicate = dedupe.find_duplicate(store, activity, pending=batch.activities.values())
    if duplicate is None:
        batch.add(activity, *([stream] if stream is not None else []))
        batch.mark_seen(parsed.digest, activity)
        return Outcome(item.ref, "imported", activity_id=activity.id)
    note = f"same activity as {duplicate.source} {duplicate.id}"
    if stream is not None:
        offset_s = (activity.start_time - duplicate.start_time).total_seconds()
        filled = dedupe.fill_stream(batch.stream(duplicate.id), stream, offset_s, duplicate.id)
        if filled is not None:
            batch.add(filled)
            note += "; its missing stream filled from this file"
    batch.mark_seen(parsed.digest, duplicate)
    return Outcome(item.ref, "duplicate", note, activity_id=duplicate.id)


def _rejected_record(outcome: Outcome, now: datetime) -> Rejected:
    return Rejected(source=SOURCE, ref=outcome.ref, reason=outcome.reason, raw="", seen_at=now)


def _clear_fixed(store: Store, summary: Summary) -> None:
    """A file rejected before and accepted now was fixed: its quarantine entry goes."""
    accepted = {o.ref for o in summary.outcomes if o.status != "rejected"}
    if not accepted:
        return
    # Sort keys are "<source>#<ref>": this range is every file rejection, in one query.
    earlier = store.query("rejected", start=f"{SOURCE}#", end=f"{SOURCE}$")
    fixed = [r.sort_key() for r in earlier if r.ref in accepted]
    if fixed:
        store.delete("rejected", fixed)


def _parsed_in_order(
    store: Store, items: list[Item], start: int, now: datetime, workers: int
) -> Generator[tuple[int, Parsed]]:
    """(index, parsed) for items[start:], in order; parsed by a process pool when asked for
    several workers (parsing is pure Python and CPU-bound; store access stays in this
    process)."""
    indices = range(start, len(items))
    if workers <= 1 or len(indices) < PARALLEL_MIN_ITEMS:
        for index in indices:
            yield index, _parse(store, items[index], now)
        return
    # spawn, not fork: the parent may run threads (boto3 pools, a moto server in tests).
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(index: int) -> tuple[int, Future[Parsed] | Parsed, str]:
        item = items[index]
        answer, data, digest = _prepare(store, item, now)
        if answer is not None:
            return index, answer, digest
        job = pool.submit(
            _parse_data, item.name, data, now, item.name_override, item.sport_override
        )
        return index, job, digest

    pending = iter(indices)
    window = deque(submit(i) for i in itertools.islice(pending, workers * 4))
    try:
        while window:
            index, job, digest = window.popleft()
            if isinstance(job, Parsed):
                yield index, job
            else:
                yield index, dataclasses.replace(job.result(), digest=digest)
            following = next(pending, None)
            if following is not None:
                window.append(submit(following))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def import_items(
    store: Store,
    items: list[Item],
    decided: Iterable[Outcome] = (),
    now: datetime | None = None,
    progress: bool = False,
    start: int = 0,
    should_stop: Callable[[], bool] | None = None,
    workers: int = 1,
) -> Summary:
    """Imports items[start:] in order; data problems become rejections, store errors propagate.

    `should_stop` is asked between items; when it says yes the run ends cleanly (everything
    accepted so far written) and `stopped_at` says where to resume. `workers` > 1 parses in
    that many processes (the command line; a Lambda has no shared memory for a pool).
    """
    now = now or datetime.now(UTC)
    summary = Summary(outcomes=list(decided))
    batch = _Batch(store)
    bar: Any = None
    if progress:
        from tqdm import tqdm

        # disable=None: no bar when stderr is not a terminal (cron, CI logs).
        bar = tqdm(total=len(items), unit="file", file=sys.stderr, desc="import", disable=None)
    parsed_items = _parsed_in_order(store, items, start, now, workers)
    try:
        for index, parsed in parsed_items:
            if should_stop is not None and index > start and should_stop():
                summary.stopped_at = index
                break
            summary.outcomes.append(import_item(store, items[index], batch, now, parsed))
            if bar is not None:
                bar.update()
        batch.flush()
    finally:
        parsed_items.close()
        if bar is not None:
            bar.close()
    rejected = [_rejected_record(o, now) for o in summary.rejections]
    if rejected:
        store.put(rejected)
    _clear_fixed(store, summary)
    if summary.imported or any("stream filled" in o.reason for o in summary.outcomes):
        # The dashboard refreshes its cached data when a source reports a newer success.
        store.put_doc(
            "sync",
            SYNC_KEY,
            {
                "last_success_at": iso_utc(now),
                "imported": summary.imported,
                "duplicates": summary.duplicates,
                "rejected": summary.rejected,
            },
        )
    return summary


def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    now: datetime | None = None,
    limits: Limits | None = None,
    progress: bool = False,
    workers: int = 1,
) -> Summary:
    """Imports files, folders and ZIP archives (Strava's export included) into the store."""
    now = now or datetime.now(UTC)
    with contextlib.ExitStack() as stack:
        items, decided, skipped = expand(
            (Path(p) for p in paths), limits or Limits(), stack
        )
        summary = import_items(store, items, decided, now, progress, workers=workers)
    summary.skipped = skipped
    return summary


def import_bytes(
    store: Store,
    name: str,
    data: bytes,
    now: datetime | None = None,
    limits: Limits | None = None,
    start: int = 0,
    should_stop: Callable[[], bool] | None = None,
) -> Summary:
    """Imports one named upload (a file or a ZIP) held in memory: the drop box's way in.

    An archive can be imported in several runs: `start` resumes at an item index a previous
    run's `stopped_at` gave (members are always listed in the same order).
    """
    import io

    now = now or datetime.now(UTC)
    limits = limits or Limits()
    if name.lower().endswith(".zip") or (sniff(data) == "zip" and not is_activity_name(name)):
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            outcome = Outcome(name, "rejected", f"not a readable ZIP archive ({exc})")
            return import_items(store, [], [outcome], now)
        with zf:
            items, decided = archive_items(zf, name, limits)
            # Refusals decided before reading were reported by the run that started at 0.
            return import_items(
                store, items, decided if start == 0 else (), now,
                start=start, should_stop=should_stop,
            )
    if not is_activity_name(name):
        outcome = Outcome(
            name,
            "rejected",
            "not an activity file: Pulseboard reads .fit, .gpx and .tcx (each optionally .gz) "
            "and Strava's export .zip",
        )
        return import_items(store, [], [outcome], now)
    return import_items(store, [Item(ref=name, name=name, read=lambda: data)], (), now)


# --- command line ------------------------------------------------------------------------------

EPILOG = """\
Files: .fit .gpx .tcx (each optionally .gz), folders (searched recursively) and ZIP archives,
Strava's "download your data" export included (its activities.csv names the activities).
An activity already in the store (start within 60 s, distance within 2 %) is a duplicate:
the stored one is kept, and this file's samples fill a stream it lacks. A file imported before
Strava's sync brings the same activity is merged into Strava's by that sync.

Exit status: 0 when the run finished, even if some files were rejected (each is listed with
the reason: a data problem, not a program error); 1 on an error (a path that does not exist,
the store unreachable, a bad setting).
"""


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Adds the `import` command to the collectors CLI."""
    parser = subparsers.add_parser(
        "import",
        help="import activity files (FIT, GPX, TCX, Strava's export ZIP)",
        description="Import activity files into the store.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        metavar="N",
        help="files parsed at once, in N processes (default: %(default)s)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.set_defaults(func=run, command="import")
    return parser


def report(summary: Summary, out: Any = None) -> None:
    out = out or sys.stdout
    for outcome in summary.rejections:
        print(f"rejected  {outcome.ref}: {outcome.reason}", file=out)
    print(summary.line().capitalize() + ".", file=out)
    if summary.rejected:
        print(
            "Rejected files were left as they are; fix them as each reason says and import "
            "them again.",
            file=out,
        )


def run(args: argparse.Namespace, store: Store | None = None) -> int:
    debug = bool(getattr(args, "debug", False))
    try:
        if store is None:
            import settings
            from storage import open_store

            current = settings.get()
            store = open_store(current.store_url, current.user, current.aws)
        jobs = max(1, int(getattr(args, "jobs", 1) or 1))
        summary = import_paths(store, args.paths, progress=True, workers=jobs)
    except Exception as exc:  # one line for the user; the traceback only with --debug
        if debug:
            traceback.print_exc()
        message = str(exc) or type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        if not isinstance(exc, PathsNotFound) and not debug:
            print("(run again with --debug for details)", file=sys.stderr)
        return 1
    report(summary)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m collectors")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

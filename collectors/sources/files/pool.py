"""Reading the items of an import, in order: in this process or, for many files, in a pool."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import multiprocessing
from collections import deque
from collections.abc import Generator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collectors.sources.files import parse, strava_export
from collectors.sources.files.archive import Item
from collectors.sources.files.track import FileRejected
from storage.base import Store
from storage.records import Activity, ActivityStream, Rejected

# Below this many files a process pool costs more to start than it saves.
PARALLEL_MIN_ITEMS = 16
# Index of files already imported: sha256 of the bytes as read → the activity kept for them.
SEEN_SPACE = "files-seen"


@dataclass(frozen=True)
class FileRead:
    """What reading one item gave: its activities (one, or a multisport file's legs) with
    their streams and the legs refused, why it was refused as a whole, or the stored activity
    the very same bytes were imported as before."""

    records: tuple[Activity | ActivityStream, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    reason: str = ""
    digest: str = ""
    known: Activity | None = None

    @property
    def activities(self) -> list[Activity]:
        return [r for r in self.records if isinstance(r, Activity)]

    def stream(self, activity_id: str) -> ActivityStream | None:
        return next((r for r in self.records
                     if isinstance(r, ActivityStream) and r.activity_id == activity_id), None)


def _load(item: Item) -> bytes:
    assert item.read is not None
    try:
        return item.read()
    except OSError as exc:
        raise FileRejected(f"cannot read it ({exc.strerror or exc})") from None


def read_data(
    name: str, data: bytes, now: datetime, name_override: str = "", sport_override: str = ""
) -> FileRead:
    """Pure and picklable: runs in a worker process when an import uses several."""
    try:
        parsed = parse.parse(name, data, now)
    except FileRejected as exc:
        return FileRead(reason=str(exc))
    except Exception as exc:  # a parser tripping on an odd file must not stop the batch
        return FileRead(
            reason=f"could not be read ({type(exc).__name__}: {exc}); please report this file"
        )
    records = list(parsed.records)
    changes: dict[str, Any] = {}
    if name_override:
        changes["name"] = name_override
    if sport_override:
        changes["sport_type"] = sport_override
    activities = [r for r in records if isinstance(r, Activity)]
    # An export's row names one activity: the legs of a multisport file keep their own.
    if changes and len(activities) == 1:
        records = [dataclasses.replace(r, **changes) if isinstance(r, Activity) else r
                   for r in records]
    return FileRead(records=tuple(records), rejected=tuple(parsed.rejected))


def _known(store: Store, digest: str) -> Activity | None:
    """The activity these exact bytes were imported as, if it is still stored."""
    doc = store.get_doc(SEEN_SPACE, digest)
    if doc is None:
        return None
    return store.get("activities", str(doc.data.get("sort_key", "")))


def _prepare(store: Store, item: Item, now: datetime) -> tuple[FileRead | None, bytes, str]:
    """Everything but the parsing (which may run elsewhere): a final answer, or the bytes to
    parse and their digest.

    A file seen before is answered from the index without parsing: re-importing a device's
    whole folder every week costs a lookup per old file, not a parse."""
    try:
        if item.row is not None:
            return FileRead(records=(strava_export.manual_activity(item.row, now),)), b"", ""
        data = _load(item)
    except FileRejected as exc:
        return FileRead(reason=str(exc)), b"", ""
    except (ValueError, OverflowError, TypeError) as exc:  # an odd row must not stop the rest
        return FileRead(reason=f"could not be read ({type(exc).__name__}: {exc})"), b"", ""
    digest = hashlib.sha256(data).hexdigest()
    known = _known(store, digest)
    if known is not None:
        return FileRead(digest=digest, known=known), b"", digest
    return None, data, digest


def read_item(store: Store, item: Item, now: datetime) -> FileRead:
    answer, data, digest = _prepare(store, item, now)
    if answer is not None:
        return answer
    read = read_data(item.name, data, now, item.name_override, item.sport_override)
    return dataclasses.replace(read, digest=digest)


def read_in_order(
    store: Store, items: list[Item], start: int, now: datetime, workers: int
) -> Generator[tuple[int, FileRead]]:
    """(index, read) for items[start:], in order; parsed by a process pool when asked for
    several workers (parsing is pure Python and CPU-bound; store access stays in this
    process)."""
    indices = range(start, len(items))
    if workers <= 1 or len(indices) < PARALLEL_MIN_ITEMS:
        for index in indices:
            yield index, read_item(store, items[index], now)
        return
    # spawn, not fork: the parent may run threads (boto3 pools, a moto server in tests).
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(index: int) -> tuple[int, Future[FileRead] | FileRead, str]:
        item = items[index]
        answer, data, digest = _prepare(store, item, now)
        if answer is not None:
            return index, answer, digest
        job = pool.submit(read_data, item.name, data, now, item.name_override,
                          item.sport_override)
        return index, job, digest

    pending = iter(indices)
    window = deque(submit(i) for i in itertools.islice(pending, workers * 4))
    try:
        while window:
            index, job, digest = window.popleft()
            if isinstance(job, FileRead):
                yield index, job
            else:
                yield index, dataclasses.replace(job.result(), digest=digest)
            following = next(pending, None)
            if following is not None:
                window.append(submit(following))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)

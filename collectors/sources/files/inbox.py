"""The activity-file drop box: `inbox/` locally (polled) or in the blobs bucket (S3 events)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote_plus

from collectors.sources.files.importer import import_bytes, import_items
from collectors.sources.files.outcomes import Outcome, Summary, is_utf8, not_utf8, safe_name
from storage.base import BlobInfo, Blobs, Store
from storage.files import FileBlobs

log = logging.getLogger(__name__)

INBOX = "inbox/"
IMPORTED = "imported/"
REJECTED = "rejected/"
REASON_SUFFIX = ".reason"
# One upload is read whole into memory (a Lambda has 1 GB): a Strava export without its media
# is well below this; with photos and videos it should be unpacked and its activities/ dropped.
MAX_UPLOAD_BYTES = 512 * 2**20
# A Lambda stops importing an archive when less time than this is left, and continues in a
# new invocation (see process_key): enough to finish the file in hand and write the batch.
STOP_MARGIN_MS = 90_000
PROGRESS_SPACE = "inbox"
# A file modified this recently may still be being copied into the folder: leave it for the
# next poll rather than import half of it.
SETTLE_S = 5.0


class InboxFolder(FileBlobs):
    """The data dir as a blob tree (keys `inbox/…`, `imported/…`, `rejected/…`). Lists only the
    asked folder, not the whole data dir, and not files still being written."""

    def __init__(
        self, root: str | Path, settle_s: float = SETTLE_S, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(root)
        self.settle_s = settle_s
        self.clock = clock

    def list(self, prefix: str = "") -> list[BlobInfo]:
        folder = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not folder.is_dir():
            return []
        cutoff = self.clock() - self.settle_s
        out = []
        for path in sorted(folder.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
            if hidden or not path.is_file() or not key.startswith(prefix):
                continue
            stat = path.stat()
            if stat.st_mtime > cutoff:
                continue
            # Size and time stand in for the ETag: listing must not read every file.
            tag = hashlib.md5(f"{stat.st_size}:{stat.st_mtime_ns}".encode(), usedforsecurity=False)
            out.append(BlobInfo(key, tag.hexdigest(), stat.st_size))
        return out


@dataclass(frozen=True)
class Handled:
    key: str
    moved_to: str
    summary: Summary

    @property
    def destination(self) -> str:
        """Where the file went, with what it brought (the scheduler prints this)."""
        return f"{self.moved_to} ({self.summary.line()})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "moved_to": self.moved_to,
            "imported": self.summary.imported,
            "duplicates": self.summary.duplicates,
            "rejected": self.summary.rejected,
        }


def _destination(blobs: Blobs, folder: str, relative: str, etag: str) -> str:
    """Where a handled file goes; never over a different file already there (nothing is lost)."""
    key = folder + relative
    existing = blobs.head(key)
    if existing is None or existing.etag == etag:
        return key
    path = PurePosixPath(relative)
    stem = path.name.split(".", 1)[0]
    suffixes = path.name[len(stem) :]
    return folder + str(path.with_name(f"{stem}-{etag[:8]}{suffixes}"))


def _reason_text(summary: Summary) -> str:
    lines = [summary.line()]
    lines += [f"{o.ref}: {o.reason}" for o in summary.rejections]
    return "\n".join(lines) + "\n"


def _resume(store: Store, key: str, etag: str) -> tuple[int, list[Outcome]]:
    """Where an earlier run stopped on this very object, and what it had found."""
    doc = store.get_doc(PROGRESS_SPACE, key)
    if doc is None or doc.data.get("etag") != etag:
        return 0, []
    earlier = [Outcome(f"{key} (earlier run)", "imported")] * int(doc.data.get("imported", 0))
    earlier += [Outcome(f"{key} (earlier run)", "duplicate")] * int(doc.data.get("duplicates", 0))
    earlier += [Outcome(ref, "rejected", reason) for ref, reason in doc.data.get("rejected", [])]
    return int(doc.data.get("next", 0)), earlier


def process_key(
    store: Store,
    blobs: Blobs,
    key: str,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Handled | None:
    """Imports one inbox object and moves it to imported/ or rejected/ (reason beside it).

    None when the object is gone (already handled: S3 may deliver an event twice). Store errors
    propagate and leave the object in the inbox, so the next poll or the event retry redoes it.
    When `should_stop` ends an archive early, the progress is saved and the object is written
    again in place: its new ObjectCreated event starts the invocation that carries on.
    """
    info = blobs.head(key)
    if info is None:
        return None
    relative = key.removeprefix(INBOX)
    if not is_utf8(key):
        # Only a local folder gives such names (S3 keys are UTF-8); the file itself is moved.
        summary = import_items(store, [], [not_utf8(relative)], now)
    elif info.size_bytes > MAX_UPLOAD_BYTES:
        reason = (
            f"{info.size_bytes / 2**20:.0f} MB, over the drop box's "
            f"{MAX_UPLOAD_BYTES // 2**20} MB limit: unpack it and drop its activities/ folder, "
            "or run `python -m collectors import` on it"
        )
        summary = Summary(outcomes=[Outcome(relative, "rejected", reason)])
    else:
        data, info = blobs.get(key)
        start, earlier = _resume(store, key, info.etag)
        summary = import_bytes(store, relative, data, now, start=start, should_stop=should_stop)
        summary.outcomes[:0] = earlier
        if summary.stopped_at is not None:
            progress = {
                "etag": info.etag,
                "next": summary.stopped_at,
                "imported": summary.imported,
                "duplicates": summary.duplicates,
                "rejected": [[o.ref, o.reason] for o in summary.rejections],
            }
            store.put_doc(PROGRESS_SPACE, key, progress)
            blobs.put(key, data)
            log.info("drop box: %s stopped at item %d, continues", key, summary.stopped_at)
            return Handled(key, key, summary)
        if start:
            store.delete_doc(PROGRESS_SPACE, key)
        if not summary.outcomes:
            summary.outcomes.append(
                Outcome(relative, "rejected", "no activity files found in it")
            )
    accepted = summary.imported + summary.duplicates
    folder = IMPORTED if accepted else REJECTED
    destination = _destination(blobs, folder, relative, info.etag)
    if summary.rejected:
        # Written before the move: if the move never happens the file is simply handled again.
        blobs.put(destination + REASON_SUFFIX, _reason_text(summary).encode(), "text/plain")
    blobs.move(key, destination)
    # Names are told in a safe form: a log line or the scheduler's print must not fail on one.
    log.info("drop box: %s → %s (%s)", safe_name(key), safe_name(destination), summary.line())
    return Handled(safe_name(key), safe_name(destination), summary)


def _inbox_keys(blobs: Blobs) -> list[str]:
    return [
        i.key
        for i in blobs.list(INBOX)
        if not i.key.endswith("/") and not i.key.endswith(REASON_SUFFIX)
    ]


def poll(
    store: Store | None = None,
    blobs: Blobs | None = None,
    now: datetime | None = None,
    data_dir: Path | None = None,
) -> list[Handled]:
    """Handles every file waiting in the inbox (the local scheduler calls this).

    By default the inbox is `<data dir>/inbox/`, with `imported/` and `rejected/` beside it.
    The local twin of `handle_s3_event`: what the caller does not pass in, it takes from the
    settings.
    """
    if store is None or (blobs is None and data_dir is None):
        import settings
        from storage import open_store

        current = settings.get()
        data_dir = data_dir or current.data_dir
        if store is None:
            store = open_store(current.store_url, current.user, current.aws)
    if blobs is None:
        assert data_dir is not None
        # Made on the first poll, so there is a folder to drop files into.
        (data_dir / INBOX).mkdir(parents=True, exist_ok=True)
        blobs = InboxFolder(data_dir)
    now = now or datetime.now(UTC)
    handled = []
    for key in _inbox_keys(blobs):
        result = process_key(store, blobs, key, now)
        if result is not None:
            handled.append(result)
    return handled


def handle_s3_event(
    event: dict[str, Any],
    context: Any = None,
    store: Store | None = None,
    blobs: Blobs | None = None,
) -> dict[str, Any]:
    """Lambda entry point for S3 `ObjectCreated` events under the blobs `inbox/` prefix.

    Zappa routes the bucket's events here (`events` with an S3 `event_source`); objects outside
    the blobs prefix's inbox/ are ignored, so the trigger may be set on the whole bucket.
    """
    import settings
    from storage import open_blobs, open_store

    current = settings.get()
    store = store if store is not None else open_store(current.store_url, current.user,
                                                       current.aws)
    blobs = blobs if blobs is not None else open_blobs(current.blobs_url, current.aws)
    bucket = getattr(blobs, "bucket", None)
    prefix = getattr(blobs, "prefix", "")
    prefix = f"{prefix}/" if prefix else ""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    should_stop = (lambda: remaining_ms() < STOP_MARGIN_MS) if callable(remaining_ms) else None
    handled: list[dict[str, Any]] = []
    ignored: list[str] = []
    for record in event.get("Records", []):
        s3 = record.get("s3") or {}
        name = str(record.get("eventName", ""))
        key = unquote_plus(str((s3.get("object") or {}).get("key", "")))
        in_bucket = bucket is None or (s3.get("bucket") or {}).get("name") == bucket
        short = key[len(prefix) :] if key.startswith(prefix) else ""
        if (
            not name.startswith("ObjectCreated")
            or not in_bucket
            or not short.startswith(INBOX)
            or short.endswith("/")
            or short.endswith(REASON_SUFFIX)
        ):
            ignored.append(key)
            continue
        result = process_key(store, blobs, short, should_stop=should_stop)
        if result is None:
            ignored.append(key)
        else:
            handled.append(result.as_dict())
    return {"handled": handled, "ignored": ignored}

"""The activity-file drop box: `inbox/` locally (polled) or in the blobs bucket (S3 events)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote_plus

from collectors.sources.files.folder import InboxFolder
from collectors.sources.files.importer import import_bytes, import_items
from collectors.sources.files.outcomes import Outcome, Summary, is_utf8, not_utf8, safe_name
from collectors.sources.files.parse import MAX_FILE_BYTES, is_activity_name
from storage.base import BlobInfo, Blobs, Store

__all__ = ["InboxFolder", "handle_s3_event", "poll", "process_key"]

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
# Attempts at each inbox object: the second that fails moves it to rejected/.
ATTEMPTS_SPACE = "inbox-attempts"
MAX_ATTEMPTS = 2
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


def _refusal(store: Store, relative: str, reason: str, now: datetime | None) -> Summary:
    """A refusal decided without importing, quarantined like any other."""
    return import_items(store, [], [Outcome(relative, "rejected", reason)], now)


def _attempts_key(key: str) -> str:
    # A digest: any object name, however long, makes a document key the store takes.
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def process_key(
    store: Store,
    blobs: Blobs,
    key: str,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Handled | None:
    """Imports one inbox object and moves it to imported/ or rejected/ (reason beside it).

    None when the object is gone (already handled: S3 may deliver an event twice). An error
    propagates and leaves the object in the inbox, so the next poll or the event retry redoes
    it; at the second attempt that fails (or never finishes: memory, time) the object is moved
    to rejected/ with the reason, so one poison file never blocks the files behind it.
    When `should_stop` ends an archive early, the progress is saved and the object is written
    again in place: its new ObjectCreated event starts the invocation that carries on.
    """
    info = blobs.head(key)
    if info is None:
        return None
    relative = key.removeprefix(INBOX)
    doc_key = _attempts_key(key)
    doc = store.get_doc(ATTEMPTS_SPACE, doc_key)
    earlier = doc.data if doc is not None and doc.data.get("etag") == info.etag else {}
    tries = int(earlier.get("attempts", 0))
    if tries >= MAX_ATTEMPTS:
        why = earlier.get("error") or "it never finished (out of memory or time)"
        summary = _refusal(store, relative, f"the import failed {tries} times: {why}; please "
                                            "report this file", now)
        handled = _finish(blobs, key, info, summary)
        store.delete_doc(ATTEMPTS_SPACE, doc_key)
        return handled
    # Counted before the work: an invocation killed half-way has used its attempt too.
    store.put_doc(ATTEMPTS_SPACE, doc_key, {"etag": info.etag, "attempts": tries + 1})
    try:
        summary, data = _import(store, blobs, key, info, now, should_stop)
    except Exception as exc:
        error = f"{type(exc).__name__}: {safe_name(str(exc))}"[:500]
        if tries + 1 < MAX_ATTEMPTS:
            store.put_doc(ATTEMPTS_SPACE, doc_key,
                          {"etag": info.etag, "attempts": tries + 1, "error": error})
            raise
        log.exception("drop box: %s failed again; moved to rejected/", safe_name(key))
        summary = _refusal(store, relative, f"the import failed twice: {error}; please report "
                                            "this file", now)
        data = None
    if summary.stopped_at is not None and data is not None:
        store.delete_doc(ATTEMPTS_SPACE, doc_key)  # a clean stop is no failed attempt
        blobs.put(key, data)
        log.info("drop box: %s stopped at item %d, continues", safe_name(key),
                 summary.stopped_at)
        return Handled(safe_name(key), safe_name(key), summary)
    handled = _finish(blobs, key, info, summary)
    store.delete_doc(ATTEMPTS_SPACE, doc_key)
    return handled


def _import(
    store: Store,
    blobs: Blobs,
    key: str,
    info: BlobInfo,
    now: datetime | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[Summary, bytes | None]:
    """What importing the object gave, and its bytes when it was read. Sizes are checked on
    the listing before anything is read."""
    relative = key.removeprefix(INBOX)
    if not is_utf8(key):
        # Only a local folder gives such names (S3 keys are UTF-8); the file itself is moved.
        refused = not_utf8(relative)
        return _refusal(store, refused.ref, refused.reason, now), None
    if isinstance(blobs, InboxFolder) and blobs.is_link(key):
        return _refusal(store, relative, "a symbolic link: the drop box reads only files in "
                        "it and never follows a link; copy the file itself in", now), None
    if is_activity_name(relative) and info.size_bytes > MAX_FILE_BYTES:
        return _refusal(store, relative, (
            f"{info.size_bytes / 2**20:.0f} MB, larger than the {MAX_FILE_BYTES // 2**20} MB "
            "limit for one activity file; not read"), now), None
    if info.size_bytes > MAX_UPLOAD_BYTES:
        return _refusal(store, relative, (
            f"{info.size_bytes / 2**20:.0f} MB, over the drop box's "
            f"{MAX_UPLOAD_BYTES // 2**20} MB limit: unpack it and drop its activities/ folder, "
            "or run `python -m collectors import` on it"), now), None
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
        return summary, data
    if start:
        store.delete_doc(PROGRESS_SPACE, key)
    if not summary.outcomes:
        summary.outcomes.append(Outcome(relative, "rejected", "no activity files found in it"))
    return summary, data


def _finish(blobs: Blobs, key: str, info: BlobInfo, summary: Summary) -> Handled:
    """Moves the object to imported/ or rejected/, the reason beside it."""
    relative = key.removeprefix(INBOX)
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
        try:
            result = process_key(store, blobs, key, now)
        except Exception:  # left for the next poll (its last attempt); the others go on
            log.exception("drop box: %s failed; tried again at the next poll", safe_name(key))
            continue
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
    failed: Exception | None = None
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
        try:
            result = process_key(store, blobs, short, should_stop=should_stop)
        except Exception as exc:
            failed = failed or exc
            continue
        if result is None:
            ignored.append(key)
        else:
            handled.append(result.as_dict())
    if failed is not None:
        # Raised after the other records: Lambda invokes again, and the object that failed
        # gets its last attempt (handled ones are gone from the inbox by then).
        raise failed
    return {"handled": handled, "ignored": ignored}

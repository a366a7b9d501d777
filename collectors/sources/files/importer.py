"""The import pipeline: items read in order, deduplicated, written in batches, refusals kept."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import sys
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analytics import summary
from collectors import dedupe
from collectors.sources.files import quarantine
from collectors.sources.files.archive import Item, Limits, archive_items, expand
from collectors.sources.files.outcomes import Outcome, Summary
from collectors.sources.files.parse import NOT_ACTIVITY, is_activity_name, sniff
from collectors.sources.files.pool import SEEN_SPACE, FileRead, read_in_order, read_item
from collectors.sources.files.track import ACTIVITY_SOURCE
from storage.base import Store
from storage.records import Activity, ActivityStream, Record, iso_utc

FLUSH_RECORDS = 50
SYNC_KEY = quarantine.SOURCE


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
            # Best efforts, load and heatmap cells, once, as each stream lands.
            summary.store_summaries(self.store, self.records)
        # After the records: a file is only "seen" once what it brought is stored.
        for digest, activity in self.seen.items():
            entry = {"activity_id": activity.id, "sort_key": activity.sort_key()}
            self.store.put_doc(SEEN_SPACE, digest, entry)
        self.records, self.activities, self.streams, self.seen = [], {}, {}, {}


def _as_on_strava(item: Item, kept: Activity) -> Activity:
    """A Strava export names each activity as its owner did ("Laufen Landal Park"): the
    watch's own file of it, imported before, takes that name and type. A provider's record
    has them already; a multisport leg keeps its own."""
    name = item.name_override or (item.row.name if item.row is not None else "")
    sport = item.sport_override or (item.row.sport_type if item.row is not None else "")
    if (kept.source != ACTIVITY_SOURCE or kept.legs
            or (name or kept.name, sport or kept.sport_type) == (kept.name, kept.sport_type)):
        return kept
    return dataclasses.replace(kept, name=name or kept.name,
                               sport_type=sport or kept.sport_type)


def import_item(
    store: Store, item: Item, batch: _Batch, now: datetime, read: FileRead | None = None
) -> list[Outcome]:
    """The item's outcome (one per file, however many legs it holds), and one per leg refused."""
    read = read_item(store, item, now) if read is None else read
    if read.reason:
        return [Outcome(item.ref, "rejected", read.reason)]
    if read.known is not None:
        known = read.known
        note = f"this file was imported before ({known.source} {known.id})"
        renamed = _as_on_strava(item, known)
        if renamed is not known:
            batch.add(renamed)
            note += "; named as on Strava"
        return [Outcome(item.ref, "duplicate", note, activity_id=known.id)]
    imported: list[Activity] = []
    notes: list[str] = []
    kept: list[Activity] = []
    for activity in read.activities:
        stream = read.stream(activity.id)
        duplicate = dedupe.find_duplicate(store, activity, pending=batch.activities.values())
        if duplicate is None:
            batch.add(activity, *([stream] if stream is not None else []))
            imported.append(activity)
            kept.append(activity)
            continue
        note = f"same activity as {duplicate.source} {duplicate.id}"
        marked = dedupe.with_file_provenance(duplicate)
        if marked is not duplicate:
            # The owner's file brought it too: the forecaster may now train on it.
            batch.add(marked)
            duplicate = marked
        if stream is not None:
            offset_s = (activity.start_time - duplicate.start_time).total_seconds()
            filled = dedupe.fill_stream(batch.stream(duplicate.id), stream, offset_s,
                                        duplicate.id)
            if filled is not None:
                batch.add(filled)
                note += "; its missing stream filled from this file"
                if (duplicate.source == ACTIVITY_SOURCE and filled.heartrate_bpm
                        and duplicate.average_heartrate_bpm is None):
                    # Heart rate an imported file lacked (no strap that day) comes with its
                    # average; a provider's record is its sync's to write.
                    duplicate = dataclasses.replace(
                        duplicate, average_heartrate_bpm=activity.average_heartrate_bpm)
                    batch.add(duplicate)
        renamed = _as_on_strava(item, duplicate)
        if renamed is not duplicate:
            batch.add(renamed)
            duplicate = renamed
            note += "; named as on Strava"
        notes.append(note)
        kept.append(duplicate)
    refused = [Outcome(item.ref + r.ref, "rejected", r.reason) for r in read.rejected]
    if not kept:
        return refused
    # The file is "seen" as its first activity kept: importing it again is one lookup.
    batch.mark_seen(read.digest, kept[0])
    if imported:
        return [Outcome(item.ref, "imported", "; ".join(notes), activity_id=imported[0].id),
                *refused]
    return [Outcome(item.ref, "duplicate", "; ".join(notes), activity_id=kept[0].id), *refused]


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
    reads = read_in_order(store, items, start, now, workers)
    try:
        for index, read in reads:
            if should_stop is not None and index > start and should_stop():
                summary.stopped_at = index
                break
            summary.outcomes += import_item(store, items[index], batch, now, read)
            if bar is not None:
                bar.update()
        batch.flush()
    finally:
        reads.close()
        if bar is not None:
            bar.close()
    quarantine.update(store, summary.outcomes, now)
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
        return import_items(store, [], [Outcome(name, "rejected", NOT_ACTIVITY)], now)
    return import_items(store, [Item(ref=name, name=name, read=lambda: data)], (), now)

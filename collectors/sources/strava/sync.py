"""Strava's sync: the cursor, the listing with its re-scan window, run streams and the writes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from analytics import summary
from collectors import dedupe
from collectors.common import BUDGET, Archive, Quarantine, StopSync, SyncError, dumps, raw_text
from collectors.http import Http, json_body
from collectors.parsing import ParseError
from collectors.sources.base import Run
from collectors.sources.strava.client import (
    RECONNECT,
    REQUEST_BUDGET,
    Budget,
    StravaClient,
    refresher,
)
from collectors.sources.strava.config import StravaConfig
from collectors.sources.strava.parse import (
    SOURCE,
    STREAM_KEYS,
    Page,
    parse_activities,
    parse_activity,
    parse_streams,
)
from collectors.tokens import Tokens
from storage import events
from storage.records import Activity, ActivityStream, Record, Rejected

PER_PAGE = 200  # Strava's maximum
# Strava's `after` filters by start time, so an edit to an older activity is only seen by
# listing it again: every run re-reads this much before the newest activity it has.
RESCAN = timedelta(days=7)
# Streams written (and the cursor saved) this many at a time.
STREAM_BATCH = 10
# Marks a pending run whose stored stream came from an imported file (the file's activity was
# absorbed into Strava's): Strava's stream, once fetched, keeps the file's series it lacks.
FILL_FROM_FILE = "file"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass
class Cursor:
    """Where Strava's sync stands; stored as JSON with store.set_cursor.

    newest:  start (epoch s) of the newest activity a completed scan stored.
    scan:    a listing in progress {after, before, page, fresh}: pages before `page` are stored.
    pending: runs whose streams are still to fetch, as [start epoch, id] (then FILL_FROM_FILE
             when the stored stream came from a file), any order.
    """

    newest: int | None = None
    scan: dict[str, Any] | None = None
    pending: list[list[Any]] = field(default_factory=list)

    @classmethod
    def load(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # An older plain-epoch cursor.
            return cls(newest=int(float(text)))
        return cls(data.get("newest"), data.get("scan"), data.get("pending") or [])

    def dump(self) -> str:
        return dumps({"newest": self.newest, "scan": self.scan, "pending": self.pending})


def track_changed(old: Activity, new: Activity) -> bool:
    return (old.distance_m, old.moving_time_s, old.elapsed_time_s) != (
        new.distance_m, new.moving_time_s, new.elapsed_time_s)


def _archive_name(params: dict[str, Any]) -> str:
    return f"activities-after{params['after']}-before{params['before']}-p{params['page']}"


def activity_ref(activity_id: str) -> str:
    return f"activity {activity_id}"


def streams_ref(activity_id: str) -> str:
    """The ref a run's unreadable streams are quarantined under."""
    return f"streams {activity_id}"


class StravaSync:
    def __init__(self, run: Run, client: StravaClient, per_page: int = PER_PAGE) -> None:
        self.store = run.store
        self.client = client
        self.per_page = per_page
        self.counts = run.counts
        self.archive = Archive(run.blobs, SOURCE, lambda: run.now)
        self.progress = run.progress
        self.now = run.now
        self.batch_done = run.batch_done
        self.cursor = Cursor.load(self.store.get_cursor(SOURCE))
        self.full = run.full
        self.quarantine = Quarantine(self.store, SOURCE)
        self.athlete_known = bool(events.known(self.store, SOURCE).get("account_id"))

    def save(self) -> None:
        self.store.set_cursor(SOURCE, self.cursor.dump())

    def run(self) -> None:
        if self.full or self.cursor.scan is None:
            after = 0 if self.full or self.cursor.newest is None else \
                self.cursor.newest - int(RESCAN.total_seconds())
            # `before` stays fixed for the whole listing so pages do not shift under it.
            self.cursor.scan = {"after": max(after, 0), "before": _epoch(self.now) + 1,
                                "page": 1, "fresh": True}
            self.save()
        else:
            # Resuming: pages may have shifted if activities were deleted meanwhile; one page
            # back covers that (re-reading costs a request, skipping would lose activities).
            self.cursor.scan = {**self.cursor.scan,
                                "page": max(1, int(self.cursor.scan["page"]) - 1),
                                "fresh": False}
        self._list()
        self._streams()

    def _list(self) -> None:
        scan = self.cursor.scan
        assert scan is not None
        seen: set[str] = set()
        newest = self.cursor.newest or 0
        batch = 0
        while True:
            params = {"after": scan["after"], "before": scan["before"], "page": scan["page"],
                      "per_page": self.per_page}
            response = self.client.get("/athlete/activities", params)
            if response is None:
                raise SyncError("Strava answered 404 to the activity list; check "
                                "PULSEBOARD_STRAVA_URL (it should end in /api/v3)")
            self.archive.save(_archive_name(params), response.content)
            payload = json_body("Strava", response)
            if not self.athlete_known:
                self.athlete_known = remember_athlete(self.store, payload)
            try:
                page = parse_activities(payload, self.now)
            except ParseError as exc:
                raise SyncError(f"Strava's activity list could not be read: {exc}") from None
            self.counts.fetched += page.size
            self._store_page(page)
            seen.update(a.sort_key() for a in page.records)
            for activity in page.records:
                newest = max(newest, _epoch(activity.start_time))
            scan["page"] += 1
            done = page.size < self.per_page
            if done:
                if scan.get("fresh"):
                    self._delete_missing(scan, seen)
                self.cursor.newest = newest or self.cursor.newest
                self.cursor.scan = None
            self.save()
            batch += 1
            self.batch_done(batch)
            if done:
                return

    def _store_page(self, page: Page) -> None:
        nearby: list[Activity] = []
        if page.records:
            # Wide enough for dedupe's window too: one query serves both.
            low = min(a.start_time for a in page.records) - dedupe.START_WINDOW
            high = max(a.start_time for a in page.records) + dedupe.START_WINDOW + \
                timedelta(seconds=1)
            nearby = self.store.query("activities", start=low, end=high)
        existing = {a.sort_key(): a for a in nearby}
        # What a file brought too (also_from) is not Strava's to forget.
        page.records[:] = [dedupe.kept_provenance(a, existing.get(a.sort_key()))
                           for a in page.records]
        fresh = [a for a in page.records if existing.get(a.sort_key()) != a]
        wanted = set(page.stream_ids)
        added = False
        for activity in page.records:
            old = existing.get(activity.sort_key())
            # A run new to the store, or cropped (its distance or time changed): its streams
            # are fetched after the listing. A renamed run keeps the streams it has. --full
            # also fetches again the streams that were quarantined.
            if activity.id in wanted and (
                old is None or track_changed(old, activity)
                or (self.full and self.quarantine.key(streams_ref(activity.id))
                    in self.quarantine)
            ):
                added = self._add_pending(activity) or added
        if added:
            # Before the activities: once they are stored, listing them again adds nothing.
            self.save()
        if fresh:
            self.counts.stored += self.store.put(fresh)
        # Activity files imported before Strava listed these: Strava's record stays.
        for activity_id in dedupe.absorb_file_duplicates(self.store, page.records, nearby):
            self._mark_fill(activity_id)
            self.counts.files_absorbed += 1
        self.progress.update(len(page.records))
        self.quarantine.add(page.rejected)
        self.counts.rejected += len(page.rejected)
        self.quarantine.clear(self.quarantine.key(activity_ref(a.id)) for a in page.records)

    def _add_pending(self, activity: Activity) -> bool:
        if any(item[1] == activity.id for item in self.cursor.pending):
            return False
        self.cursor.pending.append([_epoch(activity.start_time), activity.id])
        return True

    def _mark_fill(self, activity_id: str) -> None:
        for item in self.cursor.pending:
            if item[1] == activity_id and FILL_FROM_FILE not in item[2:]:
                item.append(FILL_FROM_FILE)

    def _delete_missing(self, scan: dict[str, Any], seen: set[str]) -> None:
        """Activities in the listed range that Strava no longer lists: deleted there, or moved
        out of the range by an edit of their start time. One GET each tells which (a deletion
        or a move is rare, so this costs little)."""
        # `after` is exclusive at Strava; the stored range starts one second later to match.
        stored = self.store.query("activities", start=_from_epoch(scan["after"] + 1),
                                  end=_from_epoch(scan["before"]))
        missing = [a for a in stored if a.source == SOURCE and a.sort_key() not in seen]
        for old in missing:
            response = self.client.get(f"/activities/{old.id}", {})
            moved = None
            if response is not None:
                try:
                    moved = parse_activity(json_body("Strava", response))
                except ParseError:
                    moved = None
            if moved is not None:
                moved = dedupe.kept_provenance(moved, old)
                self.store.put([moved])
                self.store.delete("activities", [old.sort_key()])
                self.counts.stored += 1
                for activity_id in dedupe.absorb_file_duplicates(self.store, [moved]):
                    self._mark_fill(activity_id)
                continue
            self.store.delete("activities", [old.sort_key()])
            self.store.delete("streams", [old.id])
            self.store.delete_doc(summary.SPACE, old.id)  # its best efforts go with it
            self.cursor.pending = [p for p in self.cursor.pending if p[1] != old.id]
            self.quarantine.clear([self.quarantine.key(activity_ref(old.id)),
                                   self.quarantine.key(streams_ref(old.id))])
            self.counts.deleted += 1

    def _streams(self) -> None:
        """Fetches the pending runs' streams, newest first, written STREAM_BATCH at a time.

        The cursor drops a run only once its streams are written, so a run killed between
        two writes fetches at most one batch again."""
        self.cursor.pending.sort(key=lambda item: (-int(item[0]), str(item[1])))
        done: list[Any] = []
        records: list[Record] = []

        def flush() -> None:
            if records:
                self.store.put(records)
                # Best efforts, load and heatmap cells, once, as each stream lands.
                summary.store_summaries(self.store, records)
                self.quarantine.clear(self.quarantine.key(streams_ref(r.activity_id))
                                      for r in records if isinstance(r, ActivityStream))
                records.clear()
            if done:
                gone = {item[1] for item in done}
                self.cursor.pending = [p for p in self.cursor.pending if p[1] not in gone]
                done.clear()
                self.save()

        try:
            for batch, item in enumerate(list(self.cursor.pending), start=1):
                if self.client.budget.left() <= 0:
                    left = len(self.cursor.pending) - len(done)
                    raise StopSync(BUDGET, f"{self.client.budget.reason()}; {left} run "
                                           "streams left for the next run")
                activity_id = str(item[1])
                response = self.client.get(
                    f"/activities/{activity_id}/streams",
                    {"keys": ",".join(STREAM_KEYS), "key_by_type": "true"},
                )
                # None (404): the activity was deleted, or has no streams; nothing to wait for.
                if response is not None:
                    records.append(self.stream_record(activity_id, response,
                                                       FILL_FROM_FILE in item[2:]))
                    self.progress.update(1)
                done.append(item)
                if len(done) >= STREAM_BATCH:
                    flush()
                self.batch_done(batch)
        except (StopSync, SyncError):
            flush()  # a clean stop keeps what it fetched
            raise
        flush()

    def stream_record(
        self, activity_id: str, response: requests.Response, fill_from_file: bool = False
    ) -> Record:
        self.archive.save(f"streams-{activity_id}", response.content)
        self.counts.fetched += 1
        try:
            stream = parse_streams(activity_id, json_body("Strava", response))
        except ParseError as exc:
            self.counts.rejected += 1
            # The stream stored before (Strava's earlier one, or a file's) stays.
            return Rejected(SOURCE, streams_ref(activity_id), str(exc),
                            raw_text(response.text), self.now)
        self.counts.stored += 1
        if fill_from_file:
            stored = self.store.get("streams", activity_id)
            if stored is not None:
                # The stored stream is the absorbed file's, already on Strava's time base.
                stream = dedupe.fill_stream(stream, stored, 0.0, activity_id) or stream
        return stream


def sync(run: Run, config: StravaConfig, request_budget: int = REQUEST_BUDGET,
         per_page: int = PER_PAGE) -> None:
    """Brings Strava's activities (and run streams) up to date in the store."""
    http = Http("Strava", run.counts, run.session, config.timeout_s)
    tokens = Tokens(run.store, SOURCE, refresher(http, config),
                    seed_refresh_token=config.refresh_token, reconnect_hint=RECONNECT,
                    clock=run.clock, sleep=run.sleep)
    client = StravaClient(http, config.url, tokens, Budget(request_budget, clock=run.clock),
                          sleep=run.sleep)
    StravaSync(run, client, per_page).run()


def remember_athlete(store: Any, payload: Any) -> bool:
    """Push events are checked against the owner's athlete id: learnt at `connect`, else from
    the first listed activity's `athlete` (no request of its own). True once it is known."""
    first = payload[0] if isinstance(payload, list) and payload else None
    athlete = first.get("athlete") if isinstance(first, dict) else None
    athlete_id = athlete.get("id") if isinstance(athlete, dict) else None
    if isinstance(athlete_id, int) and not isinstance(athlete_id, bool) and athlete_id > 0:
        events.remember(store, SOURCE, account_id=athlete_id)
        return True
    return False

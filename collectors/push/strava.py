"""Strava's push events applied: one GET of the activity (and one of a run's streams) per
activity named, however many events name it; deletions; the owner's deauthorization."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from analytics import summary
from collectors import dedupe
from collectors.common import raw_text
from collectors.http import Http, json_body
from collectors.parsing import ParseError
from collectors.push import deauthorized, fetch_allowed
from collectors.sources.base import Run
from collectors.sources.strava.client import (
    RECONNECT,
    REQUEST_BUDGET,
    Budget,
    StravaClient,
    refresher,
)
from collectors.sources.strava.config import StravaConfig
from collectors.sources.strava.parse import SOURCE, STREAM_KEYS, parse_activity, wants_streams
from collectors.sources.strava.sync import (
    FILL_FROM_FILE,
    StravaSync,
    activity_ref,
    streams_ref,
    track_changed,
)
from collectors.tokens import Tokens
from storage import events
from storage.events import PushEvent
from storage.records import Activity, ActivityStream, Rejected


def _deauthorizes(event: PushEvent) -> bool:
    return event.object_type == "athlete" and \
        event.updates.get("authorized", "").strip().lower() == "false"


def _final(items: Iterable[PushEvent]) -> PushEvent:
    """The event that decides an activity's fate: the newest; at one time, a delete wins."""
    return max(items, key=lambda e: (e.event_time_s, e.aspect == "delete"))


class StravaPush:
    def __init__(self, run: Run, config: StravaConfig, request_budget: int) -> None:
        self.run = run
        self.store = run.store
        self.config = config
        self.request_budget = request_budget
        self._sync: StravaSync | None = None

    @property
    def sync(self) -> StravaSync:
        """The scheduled sync's machinery (client, cursor, quarantine), made at the first fetch:
        a burst of deletions makes no request and reads no token."""
        if self._sync is None:
            run, config = self.run, self.config
            http = Http("Strava", run.counts, run.session, config.timeout_s)
            tokens = Tokens(run.store, SOURCE, refresher(http, config),
                            seed_refresh_token=config.refresh_token, reconnect_hint=RECONNECT,
                            clock=run.clock, sleep=run.sleep)
            client = StravaClient(http, config.url, tokens,
                                  Budget(self.request_budget, clock=run.clock), sleep=run.sleep)
            self._sync = StravaSync(run, client)
        return self._sync

    def delete(self, activity_id: str) -> None:
        """Removes a Strava activity and its streams; one not stored is nothing to do."""
        # An event names the id only; the sort key starts with the start time, so the id is
        # looked up in the partition (one Query: deletions are rare).
        stored = [a for a in self.store.query("activities")
                  if a.source == SOURCE and a.id == activity_id]
        if stored:
            self.store.delete("activities", [a.sort_key() for a in stored])
            self.run.counts.deleted += len(stored)
        self.store.delete("streams", [activity_id])
        self.store.delete_doc(summary.SPACE, activity_id)  # its best efforts go with it
        sync = self._sync
        if sync is not None and any(p[1] == activity_id for p in sync.cursor.pending):
            sync.cursor.pending = [p for p in sync.cursor.pending if p[1] != activity_id]
            sync.save()

    def fetch(self, activity_id: str) -> None:
        sync = self.sync
        response = sync.client.get(f"/activities/{activity_id}", {})
        if response is None:  # deleted meanwhile, or made private to another app
            self.delete(activity_id)
            return
        sync.archive.save(f"activity-{activity_id}", response.content)
        raw = json_body("Strava", response)
        self.run.counts.fetched += 1
        try:
            activity = parse_activity(raw)
        except ParseError as exc:
            sync.quarantine.add([Rejected(SOURCE, activity_ref(activity_id), str(exc),
                                          raw_text(raw), self.run.now)])
            self.run.counts.rejected += 1
            return
        nearby = self.store.query(
            "activities", start=activity.start_time - dedupe.START_WINDOW,
            end=activity.start_time + dedupe.START_WINDOW + timedelta(seconds=1))
        old = next((a for a in nearby if isinstance(a, Activity) and a.source == SOURCE
                    and a.id == activity.id), None)
        if old != activity:
            self.run.counts.stored += self.store.put([activity])
        absorbed = set(dedupe.absorb_file_duplicates(self.store, [activity], nearby))
        self.run.counts.files_absorbed += len(absorbed)
        sync.quarantine.clear([sync.quarantine.key(activity_ref(activity.id))])
        queued = next((p for p in sync.cursor.pending if p[1] == activity.id), None)
        if wants_streams(raw) and (old is None or track_changed(old, activity)
                                   or queued is not None):
            self._streams(activity.id, bool(absorbed) or
                          (queued is not None and FILL_FROM_FILE in queued[2:]))

    def _streams(self, activity_id: str, fill_from_file: bool) -> None:
        sync = self.sync
        response = sync.client.get(f"/activities/{activity_id}/streams",
                                   {"keys": ",".join(STREAM_KEYS), "key_by_type": "true"})
        if response is not None:
            record = sync.stream_record(activity_id, response, fill_from_file)
            if isinstance(record, ActivityStream):
                self.store.put([record])
                # Best efforts, load and heatmap cells, as the scheduled sync computes them.
                summary.store_summaries(self.store, [record])
                sync.quarantine.clear([sync.quarantine.key(streams_ref(activity_id))])
            elif isinstance(record, Rejected):
                sync.quarantine.add([record])
        # The scheduled sync's cursor must not fetch these streams again.
        if any(p[1] == activity_id for p in sync.cursor.pending):
            sync.cursor.pending = [p for p in sync.cursor.pending if p[1] != activity_id]
            sync.save()


def apply(run: Run, config: StravaConfig, found: list[tuple[str, PushEvent]],
          fetches_per_min: int, request_budget: int = REQUEST_BUDGET) -> bool:
    """Applies pending Strava events, oldest activity first, each activity's events together;
    an activity another invocation is working on is left to it. True when it did some work
    and had budget left (the caller looks again for events that came meanwhile).

    Stops when this minute's fetches are spent: the events left stay pending."""
    push = StravaPush(run, config, request_budget)
    if any(_deauthorizes(event) for _, event in found):
        deauthorized(run.store, SOURCE, "Strava", run.now)
        events.done(run.store, [key for key, _ in found])
        return False
    by_activity: dict[str, list[tuple[str, PushEvent]]] = {}
    others: list[str] = []
    for key, event in found:
        if event.object_type == "activity":
            by_activity.setdefault(str(event.object_id), []).append((key, event))
        else:
            others.append(key)  # an athlete update (name, photo): nothing we keep
    events.done(run.store, others)
    worked = bool(others)
    for activity_id, items in by_activity.items():
        claim = f"{SOURCE}:activity:{activity_id}"
        if not events.claim(run.store, claim, run.clock()):
            continue  # its claimer applies these events, or the next run once the claim lapses
        try:
            left = set(events.still_pending(run.store, [key for key, _ in items]))
            items = [(key, event) for key, event in items if key in left]
            if not items:
                continue  # applied by another invocation since we listed them
            if _final(e for _, e in items).aspect == "delete":
                push.delete(activity_id)
            elif fetch_allowed(run.store, SOURCE, run.clock(), fetches_per_min):
                push.fetch(activity_id)
            else:
                return False
            # Only now: a run killed before this point leaves the events for the next one.
            events.done(run.store, [key for key, _ in items], run.clock())
            worked = True
        finally:
            events.release(run.store, claim)
    return worked

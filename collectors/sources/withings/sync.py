"""Withings' sync: the lastupdate cursor, `more`/`offset` paging and the writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from collectors.common import Archive, Quarantine, SyncError, dumps
from collectors.http import Http
from collectors.sources.base import Run
from collectors.sources.withings.client import RECONNECT, WithingsClient, refresher
from collectors.sources.withings.config import WithingsConfig
from collectors.sources.withings.parse import (
    CATEGORY_REAL,
    MEASTYPES,
    SOURCE,
    Page,
    parse_measures,
    reject_ref,
)
from collectors.tokens import Tokens
from storage.records import Measurement

MAX_PAGES = 1000  # a guard against a server that always says `more`


@dataclass
class Cursor:
    """lastupdate: measures modified after this (epoch s) are still to fetch.
    scan: a paging in progress {lastupdate, offset, updatetime, last_size}."""

    lastupdate: int | None = None
    scan: dict[str, Any] | None = None

    @classmethod
    def load(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls(lastupdate=int(float(text)))
        if isinstance(data, int | float):
            return cls(lastupdate=int(data))
        return cls(data.get("lastupdate"), data.get("scan"))

    def dump(self) -> str:
        return dumps({"lastupdate": self.lastupdate, "scan": self.scan})


class WithingsSync:
    def __init__(self, run: Run, client: WithingsClient) -> None:
        self.store = run.store
        self.client = client
        self.counts = run.counts
        self.archive = Archive(run.blobs, SOURCE, lambda: run.now)
        self.now = run.now
        self.full = run.full
        self.progress = run.progress
        self.batch_done = run.batch_done
        self.cursor = Cursor.load(self.store.get_cursor(SOURCE))
        self.quarantine = Quarantine(self.store, SOURCE)

    def save(self) -> None:
        self.store.set_cursor(SOURCE, self.cursor.dump())

    def run(self) -> None:
        if self.full or self.cursor.scan is None:
            start = 0 if self.full else (self.cursor.lastupdate or 0)
            self.cursor.scan = {"lastupdate": start, "offset": 0, "updatetime": None,
                                "last_size": 0}
        else:
            # Resuming: groups deleted meanwhile shift the offsets back; re-read the last page.
            scan = self.cursor.scan
            scan["offset"] = max(0, int(scan["offset"]) - int(scan.get("last_size") or 0))
        scan = self.cursor.scan
        for batch in range(1, MAX_PAGES + 1):
            params = {"meastypes": MEASTYPES, "category": CATEGORY_REAL,
                      "lastupdate": scan["lastupdate"]}
            if scan["offset"]:
                params["offset"] = scan["offset"]
            body, content = self.client.getmeas(params)
            self.archive.save(f"measure-lastupdate{scan['lastupdate']}-offset{scan['offset']}",
                              content)
            page = parse_measures(body, self.now)
            self.counts.fetched += page.groups
            self.store_page(page)
            if scan.get("updatetime") is None:
                # The server's time at the first page: anything modified later is for next time.
                # One second earlier, since a group can change within the second of the answer
                # (reading it twice is harmless, missing it is not).
                scan["updatetime"] = (page.updatetime or int(self.now.timestamp())) - 1
            if page.more:
                scan["offset"], scan["last_size"] = page.offset, page.groups
            else:
                self.cursor.lastupdate = int(scan["updatetime"])
                self.cursor.scan = None
            self.save()
            self.batch_done(batch)
            if not page.more:
                return
        raise SyncError("Withings kept answering `more` for 1000 pages; try again later")

    def store_page(self, page: Page) -> None:
        fresh: list[Measurement] = []
        by_type: dict[str, list[Measurement]] = {}
        for m in page.records + page.no_readings:
            by_type.setdefault(m.type, []).append(m)
        absent = {m.sort_key() for m in page.no_readings}
        for kind, items in by_type.items():
            low = min(m.time for m in items)
            high = max(m.time for m in items) + timedelta(seconds=1)
            existing = {r.sort_key(): r for r in self.store.query("measurements", kind,
                                                                   start=low, end=high)}
            fresh += [m for m in items
                      if m.sort_key() not in absent and existing.get(m.sort_key()) != m]
            # A 0 stored before 0 was known to mean "no reading" leaves the store.
            stale = sorted(absent & set(existing))
            if stale:
                self.counts.deleted += self.store.delete("measurements", stale, kind)
        if fresh:
            self.counts.stored += self.store.put(fresh)
        self.progress.update(len(page.records))
        self.quarantine.add(page.rejected)
        self.counts.rejected += len(page.rejected)
        self.quarantine.clear(self.quarantine.key(reject_ref(*m.source_id.split(":")))
                              for m in page.records + page.no_readings)


def sync(run: Run, config: WithingsConfig) -> None:
    """Brings the scale's measures up to date in the store."""
    http = Http("Withings", run.counts, run.session, config.timeout_s)
    tokens = Tokens(run.store, SOURCE, refresher(http, config, run.clock),
                    seed_refresh_token=config.refresh_token, reconnect_hint=RECONNECT,
                    clock=run.clock, sleep=run.sleep)
    client = WithingsClient(http, config.url, tokens, sleep=run.sleep)
    WithingsSync(run, client).run()

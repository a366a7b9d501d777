"""Withings' notifications applied: the ranges they name, joined, read in one paged getmeas."""

from __future__ import annotations

from typing import Any

from collectors.common import SyncError
from collectors.http import Http
from collectors.push import fetch_allowed
from collectors.sources.base import Run
from collectors.sources.withings.client import RECONNECT, WithingsClient, refresher
from collectors.sources.withings.config import WithingsConfig
from collectors.sources.withings.parse import CATEGORY_REAL, MEASTYPES, SOURCE, parse_measures
from collectors.sources.withings.sync import MAX_PAGES, WithingsSync
from collectors.tokens import Tokens
from storage import events
from storage.events import PushEvent


def _client(run: Run, config: WithingsConfig) -> WithingsClient:
    http = Http("Withings", run.counts, run.session, config.timeout_s)
    tokens = Tokens(run.store, SOURCE, refresher(http, config, run.clock),
                    seed_refresh_token=config.refresh_token, reconnect_hint=RECONNECT,
                    clock=run.clock, sleep=run.sleep)
    return WithingsClient(http, config.url, tokens, sleep=run.sleep)


def fetch_range(run: Run, client: WithingsClient, start_s: int, end_s: int) -> None:
    """Stores the measure groups taken in start_s..end_s, as the scheduled sync would. Its
    `lastupdate` cursor stays: it reads what changed since, and unchanged groups write nothing."""
    sync = WithingsSync(run, client)
    offset = 0
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"meastypes": MEASTYPES, "category": CATEGORY_REAL,
                                  "startdate": start_s, "enddate": end_s}
        if offset:
            params["offset"] = offset
        body, content = client.getmeas(params)
        sync.archive.save(f"measure-start{start_s}-end{end_s}-offset{offset}", content)
        page = parse_measures(body, run.now)
        run.counts.fetched += page.groups
        sync.store_page(page)
        if not page.more:
            return
        offset = page.offset
    raise SyncError("Withings kept answering `more` for 1000 pages; try again later")


def apply(run: Run, config: WithingsConfig, found: list[tuple[str, PushEvent]],
          fetches_per_min: int) -> bool:
    """One fetch for every pending notification: the span from the earliest start to the latest
    end (a burst of weigh-ins is one request, or a few pages). One invocation at a time: while
    another holds the claim, it reads what came meanwhile when it looks again. True when it
    fetched."""
    claim = f"{SOURCE}:measures"
    if not events.claim(run.store, claim, run.clock()):
        return False
    try:
        left = set(events.still_pending(run.store, [key for key, _ in found]))
        found = [(key, event) for key, event in found if key in left]
        if not found:
            return False  # applied by another invocation since we listed them
        if not fetch_allowed(run.store, SOURCE, run.clock(), fetches_per_min):
            return False
        start_s = min(e.start_s for _, e in found)
        end_s = max(e.end_s for _, e in found)
        fetch_range(run, _client(run, config), start_s, end_s)
        events.done(run.store, [key for key, _ in found], run.clock())
        return True
    finally:
        events.release(run.store, claim)

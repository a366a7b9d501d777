"""Push events on the jobs side: take the pending ones, fetch only what they name, store it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from collectors.common import COMPLETE, ERROR, STOPPED_EARLY, Counts, StopSync, utc_now
from collectors.runner import deauthorized_message
from collectors.sources.base import Run
from core.errors import PulseboardError
from storage import events
from storage.base import Blobs, Store
from storage.records import iso_utc

log = logging.getLogger(__name__)

PROVIDERS = (events.STRAVA, events.WITHINGS)
# Fetches (a Strava activity with its streams, one Withings range) per minute and source: an
# event flood spends at most this much of the providers' read budget, the rest waits pending.
FETCHES_PER_MIN = 10
FETCH_WINDOW_S = 60
RECONNECT = "run `python -m collectors connect {source}` to reconnect"
PASSES = 3


def fetch_allowed(store: Store, source: str, now_s: float, per_min: int) -> bool:
    """Counts one fetch in this minute's window; False once the window's share is spent."""
    return store.hit(f"push-fetch:{source}", FETCH_WINDOW_S, now_s) <= per_min


def deauthorized(store: Store, source: str, title: str, at: datetime) -> None:
    """The owner withdrew our access at the provider: the source stops, its data stays, and
    the overview says so with the command that reconnects it."""
    store.put_doc(events.CONNECTION_SPACE, source, {
        "state": events.DEAUTHORIZED,
        "at": iso_utc(at),
        "message": (f"{title} access was withdrawn on {title}'s side: syncing has stopped and "
                    f"the data already stored is kept; {RECONNECT.format(source=source)}"),
    })


def handle(source: str, store: Store, blobs: Blobs | None, config: Any,
           fetches_per_min: int = FETCHES_PER_MIN, **options: Any) -> Counts:
    """Applies `source`'s pending events; never raises for what a run can meet.

    Each event leaves the pending space only once what it named is stored, so a run killed
    mid-event leaves it for the next delivery or run (the writes are idempotent)."""
    counts = Counts(source)
    run = Run(store, blobs, counts, options.pop("now", None) or utc_now(), **options)
    try:
        found = events.pending(store, source)
        if not found:
            return counts
        message = deauthorized_message(store, source)
        if message:
            # Nothing can be fetched without access: the events are spent, the data kept.
            events.done(store, [key for key, _ in found])
            counts.outcome, counts.message = ERROR, message
            return counts
        if source == events.STRAVA:
            from collectors.push import strava as provider
        else:
            from collectors.push import withings as provider  # type: ignore[no-redef]
        # Events that came while this pass worked were left by an invocation that found our
        # claim; a few passes take them, after which the next event's invocation does.
        for _ in range(PASSES):
            if not provider.apply(run, config, found, fetches_per_min):
                break
            found = events.pending(store, source)
            if not found:
                break
        counts.outcome = COMPLETE
    except StopSync as exc:
        counts.outcome = exc.outcome
        counts.message = f"{exc}; the events left stay pending"
    except PulseboardError as exc:
        counts.outcome, counts.message = ERROR, str(exc)
    except Exception as exc:  # a bug: the events stay pending for the next run, details logged
        log.exception("%s push events failed", source)
        counts.outcome, counts.message = ERROR, f"unexpected {type(exc).__name__}: {exc}"
    if counts.outcome in STOPPED_EARLY or counts.outcome == ERROR:
        log.warning("%s", counts.line())
    return counts

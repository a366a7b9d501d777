"""Runs one source's sync, turns what happened into an outcome and records the sync status."""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import datetime
from typing import Any

from collectors.common import (
    COMPLETE,
    ERROR,
    NOT_CONFIGURED,
    STOPPED_EARLY,
    Counts,
    NotConfigured,
    Progress,
    StopSync,
    utc_now,
)
from collectors.sources.base import Run, Source, SourceConfig
from core.cli import EXIT_ERROR, EXIT_OK, EXIT_STOPPED
from core.errors import PulseboardError
from storage import events
from storage.base import Blobs, Store, StoreError
from storage.records import iso_utc

log = logging.getLogger(__name__)

STATUS_SPACE = "sync"
# What a caller may hand a run besides the source's own options (Strava's request_budget …).
RUN_OPTIONS = ("session", "clock", "sleep", "after_batch")


def run_source(
    source: Source,
    config: SourceConfig,
    store: Store,
    blobs: Blobs | None,
    full: bool = False,
    bar: Any = None,
    debug: bool = False,
    **options: Any,
) -> Counts:
    """One source's sync; never raises for what a run can meet (the outcome says it).

    Sync status lands in the store (space "sync", key = source) for the dashboard."""
    counts = Counts(source.name)
    started = options.pop("now", None) or utc_now()
    handed = {name: options.pop(name) for name in RUN_OPTIONS if name in options}
    run = Run(store, blobs, counts, started, full, Progress(bar), **handed)
    try:
        if not config.configured:
            raise NotConfigured(source.not_configured)
        withdrawn = deauthorized_message(store, source.name)
        if withdrawn:
            raise NotConfigured(withdrawn)
        source.sync(run, config, **options)
        counts.outcome = COMPLETE
    except NotConfigured as exc:
        counts.outcome, counts.message = NOT_CONFIGURED, str(exc)
        return counts
    except StopSync as exc:
        counts.outcome = exc.outcome
        counts.message = f"{exc}; progress saved, the next run carries on"
    except StoreError as exc:
        counts.outcome, counts.message = ERROR, f"the store failed: {exc}"
    except PulseboardError as exc:  # SyncError and every other error a user can meet
        counts.outcome, counts.message = ERROR, str(exc)
    except Exception as exc:  # a bug or a surprise: one line for the user, details in the log
        if debug:
            traceback.print_exc(file=sys.stderr)
        log.exception("%s sync failed", source.name)
        counts.outcome = ERROR
        counts.message = (f"unexpected {type(exc).__name__}: {exc} (run with --debug for "
                          "details)")
    record_status(store, counts, started)
    return counts


def deauthorized_message(store: Store, name: str) -> str | None:
    """What to say while the owner has withdrawn the source's access (None while connected)."""
    status = events.connection(store, name)
    if status and status.get("state") == events.DEAUTHORIZED:
        return str(status.get("message") or f"{name} was disconnected; connect it again")
    return None


def not_run(source: Source, store: Store, error: PulseboardError) -> Counts:
    """The outcome of a sync that could not start (its settings cannot be read), recorded."""
    counts = Counts(source.name, outcome=ERROR, message=str(error))
    record_status(store, counts, utc_now())
    return counts


def record_status(store: Store, counts: Counts, at: datetime) -> None:
    try:
        old = store.get_doc(STATUS_SPACE, counts.source)
        previous = old.data if old is not None else {}
        store.put_doc(STATUS_SPACE, counts.source, {
            "last_success_at": iso_utc(at) if counts.outcome == COMPLETE
            else previous.get("last_success_at"),
            "last_run_at": iso_utc(at),
            "last_outcome": counts.outcome,
            "message": counts.message,
            "fetched": counts.fetched,
            "stored": counts.stored,
            "deleted": counts.deleted,
            "rejected": counts.rejected,
            "requests": counts.requests,
        })
    except Exception as exc:  # the run's own outcome matters more than its status line
        log.warning("could not record the %s sync status: %s", counts.source, exc)


def exit_code(results: list[Counts], explicit: bool) -> int:
    """1 if any source failed (or an explicitly asked one is not configured), 3 if any stopped
    early, else 0. With `--source all`, unconfigured sources are skipped unless all are."""
    outcomes = [c.outcome for c in results]
    if ERROR in outcomes:
        return EXIT_ERROR
    if NOT_CONFIGURED in outcomes and (explicit or all(o == NOT_CONFIGURED for o in outcomes)):
        return EXIT_ERROR
    if any(o in STOPPED_EARLY for o in outcomes):
        return EXIT_STOPPED
    return EXIT_OK

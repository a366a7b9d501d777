"""Lambda entry points for Zappa's scheduled events: one sync per source, a JSON-able summary."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def _sync(source: str, event: dict[str, Any] | None, store: Any = None,
          blobs: Any = None) -> dict[str, Any]:
    """Runs one source's sync against the configured store and blobs.

    Never raises for an outcome a run can meet: a raised error would make Lambda retry the
    event, spending requests on a limit that has not reset. A second delivery of the same event
    is harmless: the sync is incremental and every write an idempotent upsert."""
    import settings
    from collectors.runner import sync_source
    from storage import open_blobs, open_store

    current = settings.get()
    own_store = store is None
    store = store if store is not None else open_store(current.store_url, current.user,
                                                       current.aws)
    try:
        if blobs is None:
            blobs = open_blobs(current.blobs_url, current.aws)
        counts = sync_source(source, store, blobs)
    finally:
        if own_store:
            store.close()
    summary = counts.as_dict()
    summary.pop("extra", None)
    summary["event_time"] = (event or {}).get("time")
    log.info("%s", counts.line())
    return summary


def sync_strava(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return _sync("strava", event)


def sync_withings(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return _sync("withings", event)


def sync_sheets(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return _sync("sheets", event)

"""Lambda entry points for Zappa's scheduled events: `sync_<source>` for every source the
schedule syncs (zappa_settings.json names them), each returning a JSON-able summary."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "sync_"

Handler = Callable[..., dict[str, Any]]


def handler_path(source_name: str) -> str:
    """The dotted path Zappa (and the local scheduler) call a source's handler by."""
    return f"{__name__}.{PREFIX}{source_name}"


def _sync(source: str, event: dict[str, Any] | None, store: Any = None,
          blobs: Any = None) -> dict[str, Any]:
    """Runs one source's sync against the configured store and blobs.

    Never raises for an outcome a run can meet: a raised error would make Lambda retry the
    event, spending requests on a limit that has not reset. A second delivery of the same event
    is harmless: the sync is incremental and every write an idempotent upsert."""
    import settings
    from collectors.edge import sync_source
    from storage import open_blobs, open_store

    current = settings.get()
    own_store = store is None
    store = store if store is not None else open_store(current.store_url, current.user,
                                                       current.aws)
    try:
        if blobs is None:
            blobs = open_blobs(current.blobs_url, current.aws)
        counts = sync_source(source, store, blobs, current)
    finally:
        if own_store:
            store.close()
    summary = counts.as_dict()
    summary["event_time"] = (event or {}).get("time")
    log.info("%s", counts.line())
    return summary


def _handler(name: str) -> Handler:
    def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        return _sync(name, event)

    handler.__name__ = handler.__qualname__ = PREFIX + name
    return handler


def __getattr__(attribute: str) -> Handler:
    """`sync_strava` … made from the registry, so a new source needs no handler of its own."""
    from collectors import sources

    source = sources.REGISTRY.get(attribute.removeprefix(PREFIX)) \
        if attribute.startswith(PREFIX) else None
    if source is None or not source.syncs:
        raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
    handler = _handler(source.name)
    globals()[attribute] = handler  # made once per process
    return handler

"""Lambda entry points: `sync_<source>` for Zappa's scheduled events (zappa_settings.json names
them) and `push` for the api's hand-on of webhook events, each returning a JSON-able summary."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "sync_"
# What the api stage invokes asynchronously ({"command": PUSH, "source": …}: Zappa's handler
# calls the function a "command" names), and the local scheduler calls on its next tick.
PUSH = f"{__name__}.push"

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
    from collectors import push as push_events
    from collectors.edge import sync_source
    from storage import open_blobs, open_store

    current = settings.get()
    own_store = store is None
    store = store if store is not None else open_store(current.store_url, current.user,
                                                       current.aws)
    try:
        if blobs is None:
            blobs = open_blobs(current.blobs_url, current.aws)
        if source in push_events.PROVIDERS:
            # The net under the hand-on: events whose invoke was lost are applied here.
            _apply_pending(source, store, blobs, current)
        counts = sync_source(source, store, blobs, current)
    finally:
        if own_store:
            store.close()
    summary = counts.as_dict()
    summary["event_time"] = (event or {}).get("time")
    log.info("%s", counts.line())
    return summary


def _apply_pending(source: str, store: Any, blobs: Any, current: Any) -> None:
    from collectors import push as push_events
    from collectors import sources
    from core.errors import PulseboardError

    try:
        config = sources.get(source).configure(current)
    except PulseboardError:
        return  # the sync that follows reports it
    log.info("push %s", push_events.handle(source, store, blobs, config).line())


def push(event: dict[str, Any] | None, context: Any = None, *, store: Any = None,
         blobs: Any = None, **options: Any) -> dict[str, Any]:
    """Applies the pending push events of the source the event names (of both when it names
    none). Never raises for what a run can meet: Lambda would retry the invoke, and the events
    stay pending for the next one anyway."""
    import settings
    from collectors import push as push_events
    from collectors import sources
    from core.errors import PulseboardError
    from storage import open_blobs, open_store

    current = settings.get()
    wanted = (event or {}).get("source")
    names = [wanted] if wanted in push_events.PROVIDERS else list(push_events.PROVIDERS)
    own_store = store is None
    store = store if store is not None else open_store(current.store_url, current.user,
                                                       current.aws)
    summary: dict[str, Any] = {}
    try:
        if blobs is None:
            blobs = open_blobs(current.blobs_url, current.aws)
        for name in names:
            try:
                config = sources.get(name).configure(current)
            except PulseboardError as exc:
                summary[name] = {"outcome": "error", "message": str(exc)}
                continue
            counts = push_events.handle(name, store, blobs, config, **options)
            summary[name] = counts.as_dict()
            log.info("push %s", counts.line())
    finally:
        if own_store:
            store.close()
    outcomes = [item["outcome"] for item in summary.values()]
    summary["outcome"] = next((o for o in outcomes if o != "complete"), "complete")
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

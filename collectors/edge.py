"""What the collectors' edges (the CLI, the Lambda handlers, the scheduler) share: the settings
read once, the store and blobs they name opened, a source's config built and synced."""

from __future__ import annotations

from typing import Any

import settings
from collectors import sources
from collectors.common import Counts
from collectors.runner import not_run, run_source
from core.errors import PulseboardError
from storage import open_blobs, open_store
from storage.base import Blobs, Store


def open_store_and_blobs(current: settings.Settings) -> tuple[Store, Blobs]:
    return (open_store(current.store_url, current.user, current.aws),
            open_blobs(current.blobs_url, current.aws))


def sync_source(
    name: str,
    store: Store,
    blobs: Blobs | None,
    current: settings.Settings | None = None,
    **options: Any,
) -> Counts:
    """One source's sync with its config built from `current` (the process's settings when
    not given); never raises for what a run can meet (runner.run_source)."""
    source = sources.get(name)
    current = current if current is not None else settings.get()
    try:
        # Secrets are resolved here (environment, else SSM), per source: one source's missing
        # secret must not stop the others.
        config = source.configure(current)
    except PulseboardError as exc:
        return not_run(source, store, exc)
    return run_source(source, config, store, blobs, **options)

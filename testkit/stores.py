"""The store and blobs the current settings name, for tests, benchmarks and trials."""

from __future__ import annotations

import settings
from storage import Blobs, Store
from storage import open_blobs as _open_blobs
from storage import open_store as _open_store


def open_store() -> Store:
    current = settings.get()
    return _open_store(current.store_url, current.user, current.aws)


def open_blobs() -> Blobs:
    current = settings.get()
    return _open_blobs(current.blobs_url, current.aws)

"""The one place data lives: record types, the Store and Blobs ports and their adapters."""

from __future__ import annotations

from urllib.parse import urlparse

from storage.base import BlobInfo, BlobNotFound, Blobs, Doc, Store, StoreError
from storage.records import (
    MEASUREMENT_TYPES,
    Activity,
    ActivityStream,
    LiftSet,
    Measurement,
    Record,
    Rejected,
)

__all__ = [
    "MEASUREMENT_TYPES",
    "Activity",
    "ActivityStream",
    "BlobInfo",
    "BlobNotFound",
    "Blobs",
    "Doc",
    "LiftSet",
    "Measurement",
    "Record",
    "Rejected",
    "Store",
    "StoreError",
    "open_blobs",
    "open_store",
]


def open_store(url: str | None = None, user: str | None = None) -> Store:
    """The store a URL names (`sqlite:///path` or `dynamodb://table`); settings' by default."""
    import settings

    current = settings.get()
    url = url or current.store_url
    user = user or current.user
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        from storage.sqlite import SqliteStore

        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them
        return SqliteStore(url.removeprefix("sqlite:///"), user=user)
    if parsed.scheme == "dynamodb":
        from storage.dynamodb import DynamoStore

        return DynamoStore(parsed.netloc, user=user)
    raise StoreError(f"unknown store URL {url!r}: use sqlite:///path or dynamodb://table")


def open_blobs(url: str | None = None) -> Blobs:
    """The blob store a URL names (`file://dir` or `s3://bucket/prefix`); settings' by default."""
    import settings

    url = url or settings.get().blobs_url
    parsed = urlparse(url)
    if parsed.scheme == "file":
        from storage.files import FileBlobs

        return FileBlobs(url.removeprefix("file://"))
    if parsed.scheme == "s3":
        from storage.s3 import S3Blobs

        return S3Blobs(parsed.netloc, parsed.path.strip("/"))
    raise StoreError(f"unknown blobs URL {url!r}: use file://dir or s3://bucket/prefix")

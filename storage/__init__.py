"""The one place data lives: record types, the Store and Blobs ports and their adapters."""

from __future__ import annotations

from typing import Any, Protocol
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
    "AwsConfig",
    "Store",
    "StoreError",
    "open_blobs",
    "open_store",
]


class AwsConfig(Protocol):
    """Where boto3 clients go: any object with these (settings' `current.aws` is one)."""

    @property
    def region(self) -> str: ...

    @property
    def endpoint_url(self) -> str: ...


def open_store(url: str, user: str = "me", aws: AwsConfig | None = None) -> Store:
    """The store a URL names: `sqlite:///path` or `dynamodb://table`."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        from storage.sqlite import SqliteStore

        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them
        return SqliteStore(url.removeprefix("sqlite:///"), user=user)
    if parsed.scheme == "dynamodb":
        from storage.dynamodb import DynamoStore

        return DynamoStore(parsed.netloc, user=user, aws=aws)
    raise StoreError(f"unknown store URL {url!r}: use sqlite:///path or dynamodb://table")


def open_blobs(url: str, aws: AwsConfig | None = None) -> Blobs:
    """The blob store a URL names: `file://dir` or `s3://bucket/prefix`."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        from storage.files import FileBlobs

        return FileBlobs(url.removeprefix("file://"))
    if parsed.scheme == "s3":
        from storage.s3 import S3Blobs

        return S3Blobs(parsed.netloc, parsed.path.strip("/"), aws=aws)
    raise StoreError(f"unknown blobs URL {url!r}: use file://dir or s3://bucket/prefix")


def boto3_client(service: str, aws: AwsConfig | None) -> Any:
    """A boto3 client for `service`, made when first needed (never at import); without `aws`,
    boto3 finds the region and endpoint itself."""
    import boto3

    make: Any = boto3.client  # one factory for every service: its per-service overloads don't fit
    if aws is None:
        return make(service)
    return make(service, region_name=aws.region or None, endpoint_url=aws.endpoint_url or None)

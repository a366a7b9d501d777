"""The Store and Blobs ports: the few operations Pulseboard needs, whatever the backend."""

from __future__ import annotations

import hashlib
import json
import math
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.errors import PulseboardError
from storage.records import RECORD_TYPES, Record, iso_utc

BATCH_SIZE = 25  # DynamoDB's BatchWriteItem limit; the SQLite adapter commits in the same steps
# DynamoDB refuses sort keys over 1,024 bytes; both adapters hold document keys to this (less
# room for a prefix), so an over-long key typed by someone is "no such document" or a clear
# StoreError, never a server error.
MAX_DOC_KEY_BYTES = 512


def doc_key_fits(key: str) -> bool:
    return len(key.encode("utf-8", "surrogatepass")) <= MAX_DOC_KEY_BYTES


def check_doc_key(key: str) -> None:
    if not doc_key_fits(key):
        raise StoreError(f"document key of {len(key)} characters is too long "
                         f"(at most {MAX_DOC_KEY_BYTES} bytes)")


def counter_id(key: str) -> str:
    """A counter's key comes from input (a name typed at the login, a client address): the
    store keeps a digest of it, so every counter key has one small size and no character of it
    means anything to the store (no LIKE or GLOB wildcard, no key-length limit to pass)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class StoreError(PulseboardError):
    """A store operation failed in a way the caller should report, not retry blindly."""


@dataclass(frozen=True)
class Doc:
    """A small JSON document (cursor, token, user, sync status), versioned for compare-and-set."""

    data: dict[str, Any]
    version: int


Bound = str | datetime | date | None


def bound_key(bound: Bound) -> str | None:
    """Turns a range bound into the sort-key prefix it stands for."""
    if bound is None or isinstance(bound, str):
        return bound
    if isinstance(bound, datetime):
        return iso_utc(bound)
    return f"{bound.isoformat()}T00:00:00Z"


def partition_key(user: str, kind: str, series: str = "") -> str:
    return f"{user}#{kind}#{series}" if series else f"{user}#{kind}"


def check_finite(record: Record) -> None:
    """NaN and infinities have no exact stored form (DynamoDB refuses them): refuse them early."""

    def walk(value: Any) -> bool:
        if isinstance(value, float):
            return math.isfinite(value)
        if isinstance(value, list | tuple):
            return all(walk(v) for v in value)
        return True

    for name, value in record.to_dict().items():
        if not walk(value):
            raise StoreError(f"{record.KIND} {record.sort_key()}: {name} is not a finite number")


def record_class(kind: str) -> type[Record]:
    try:
        return RECORD_TYPES[kind]
    except KeyError:
        raise StoreError(f"unknown kind {kind!r}; one of {sorted(RECORD_TYPES)}") from None


def batches(items: Iterable[Any], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Store(ABC):
    """Records by kind and time, small versioned documents, and windowed counters.

    Every read is a key-range read of one partition (a DynamoDB Query, never a Scan).
    Range bounds are half-open: `start <= key < end`, on sort keys that begin with ISO UTC time.
    """

    def __init__(self, user: str = "me") -> None:
        self.user = user
        # Requests made to the backend, by operation: benchmarks and tests count them.
        self.calls: Counter[str] = Counter()

    # --- records -------------------------------------------------------------------------
    @abstractmethod
    def put(self, records: Iterable[Record]) -> int:
        """Idempotent upsert, in batches; returns how many records were written."""

    @abstractmethod
    def delete(self, kind: str, sort_keys: Iterable[str], series: str = "") -> int:
        """Removes records by key; keys that are not there are ignored. Returns how many asked."""

    @abstractmethod
    def query(
        self,
        kind: str,
        series: str = "",
        start: Bound = None,
        end: Bound = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Any]:
        """Records of one partition with start <= sort key < end, in key order."""

    @abstractmethod
    def count(self, kind: str, series: str = "") -> int:
        """How many records a partition holds."""

    def get(self, kind: str, sort_key: str, series: str = "") -> Any | None:
        found = self.query(kind, series, start=sort_key, end=sort_key + "\x00", limit=1)
        return found[0] if found else None

    def latest(self, kind: str, series: str = "", n: int = 1) -> list[Any]:
        """The newest n records of a partition, newest first."""
        return self.query(kind, series, limit=n, newest_first=True)

    def sort_keys(
        self, kind: str, series: str = "", start: Bound = None, end: Bound = None
    ) -> set[str]:
        return {r.sort_key() for r in self.query(kind, series, start, end)}

    # --- documents (cursors, tokens, users, sync status) --------------------------------
    @abstractmethod
    def get_doc(self, space: str, key: str) -> Doc | None: ...

    @abstractmethod
    def put_doc(
        self, space: str, key: str, data: dict[str, Any], expected_version: int | None = None
    ) -> bool:
        """Writes a document. With expected_version, only if the stored version is that one
        (0: only if absent); returns False when another writer got there first."""

    @abstractmethod
    def delete_doc(self, space: str, key: str) -> None: ...

    @abstractmethod
    def list_docs(self, space: str) -> dict[str, Doc]: ...

    # --- counters (login throttling) ------------------------------------------------------
    @abstractmethod
    def hit(self, key: str, window_s: int, now: float) -> int:
        """Counts one event in the fixed window holding `now`; returns the count so far."""

    @abstractmethod
    def peek(self, key: str, window_s: int, now: float) -> int:
        """The count for key in the window containing `now`, without counting."""

    # --- conveniences built on the ports above ---------------------------------------------
    def get_cursor(self, source: str) -> str | None:
        doc = self.get_doc("cursor", source)
        return None if doc is None else doc.data.get("value")

    def set_cursor(self, source: str, value: str) -> None:
        self.put_doc("cursor", source, {"value": value})

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def encode_record(record: Record) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":"))


def decode_record(kind: str, text: str | bytes) -> Any:
    return record_class(kind).from_dict(json.loads(text))


@dataclass(frozen=True)
class BlobInfo:
    key: str
    etag: str
    size_bytes: int


class BlobNotFound(KeyError):
    pass


class Blobs(ABC):
    """Named byte strings (model artifacts, raw payloads, imported files) with ETags."""

    @abstractmethod
    def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> BlobInfo: ...

    @abstractmethod
    def get(self, key: str) -> tuple[bytes, BlobInfo]:
        """Raises BlobNotFound when absent."""

    @abstractmethod
    def head(self, key: str) -> BlobInfo | None: ...

    @abstractmethod
    def list(self, prefix: str = "") -> list[BlobInfo]: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    def move(self, key: str, new_key: str) -> BlobInfo:
        data, _ = self.get(key)
        info = self.put(new_key, data)
        self.delete(key)
        return info

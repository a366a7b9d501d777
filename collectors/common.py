"""What every provider sync shares: outcomes, counts, the HTTP wrapper and the raw archive."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from storage.base import Blobs, Store
from storage.records import Record

SOURCES = ("strava", "withings", "sheets")

COMPLETE = "complete"
RATE_LIMITED = "rate_limited"
BUDGET = "budget"
ERROR = "error"
NOT_CONFIGURED = "not_configured"

# Outcomes that mean "stopped cleanly, cursor saved, the next run carries on" (exit 3).
STOPPED_EARLY = (RATE_LIMITED, BUDGET)


class StopSync(Exception):
    """A run stops early and cleanly (rate limit, request budget); what it stored is kept."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class SyncError(Exception):
    """A run cannot go on; the message says what was wrong and what to do."""


class NotConfigured(SyncError):
    """The source has no credentials or settings yet."""


@dataclass
class Counts:
    """What one run of one source did, updated as it goes so a stopped run still reports."""

    source: str
    fetched: int = 0
    stored: int = 0
    deleted: int = 0
    rejected: int = 0
    requests: int = 0
    outcome: str = COMPLETE
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        text = (
            f"{self.source}: {self.outcome.replace('_', ' ')} — fetched {self.fetched}, "
            f"stored {self.stored}, deleted {self.deleted}, rejected {self.rejected}, "
            f"requests {self.requests}"
        )
        merged = int(self.extra.get("files_absorbed") or 0)
        if merged:
            text += f", {merged} imported file{'s' * (merged != 1)} merged into its activities"
        return f"{text}. {self.message}" if self.message else text


class Progress:
    """The part of a tqdm bar the syncs use; does nothing unless a bar is given."""

    def __init__(self, bar: Any = None) -> None:
        self.bar = bar

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def note(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)


class Quarantine:
    """One source's quarantined records, read once per run (one Query): records newly
    rejected are stored once, and those that read fine again (or are gone) leave quarantine,
    so the data-quality page shows only current problems."""

    def __init__(self, store: Store, source: str, keys: set[str] | None = None) -> None:
        self.store = store
        self.keys = keys if keys is not None else store.sort_keys(
            "rejected", start=f"{source}#", end=f"{source}$")

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def add(self, rejected: Iterable[Record]) -> None:
        new = [r for r in rejected if r.sort_key() not in self.keys]
        if new:
            self.store.put(new)
            self.keys.update(r.sort_key() for r in new)

    def clear(self, keys: Iterable[str]) -> None:
        fixed = sorted({key for key in keys if key in self.keys})
        if fixed:
            self.store.delete("rejected", fixed)
            self.keys.difference_update(fixed)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Http:
    """A requests session with the configured timeout that counts every call it makes.

    Errors the user can meet (no answer, a timeout) become SyncError naming the provider."""

    def __init__(
        self,
        provider: str,
        counts: Counts,
        session: requests.Session | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.provider = provider
        self.counts = counts
        self.session = session or requests.Session()
        self.timeout_s = timeout_s

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.counts.requests += 1
        kwargs["timeout"] = self.timeout_s  # ours, whatever a library asks for
        try:
            return self.session.request(method, url, **kwargs)
        except requests.Timeout:
            raise SyncError(
                f"{self.provider} did not answer within {self.timeout_s:g} s; try again later "
                "(or raise PULSEBOARD_REQUEST_TIMEOUT_S)"
            ) from None
        except requests.ConnectionError as exc:
            raise SyncError(
                f"cannot reach {self.provider} at {url.split('?')[0]}: {_reason(exc)}; check the "
                "network and the endpoint setting"
            ) from None


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 160 else text[:157] + "…"


def json_body(provider: str, response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SyncError(
            f"{provider} sent an answer that is not complete JSON (HTTP {response.status_code}, "
            f"{len(response.content)} bytes); try again later"
        ) from None


class Archive:
    """Writes each raw payload to blobs under raw/<source>/<YYYY-MM-DD>/, so data can be
    parsed again without fetching it again."""

    def __init__(self, blobs: Blobs | None, source: str, clock: Callable[[], datetime] = utc_now):
        self.blobs = blobs
        self.source = source
        self.clock = clock
        self.stamp = clock().strftime("%H%M%S") + f"-{time.monotonic_ns() % 1_000_000:06d}"

    def key(self, name: str) -> str:
        return f"raw/{self.source}/{self.clock().strftime('%Y-%m-%d')}/{self.stamp}-{name}.json"

    def save(self, name: str, content: bytes) -> None:
        if self.blobs is not None:
            self.blobs.put(self.key(name), content, "application/json")


def changed(store: Store, records: list[Record], existing: Mapping[str, Record] | None = None):
    """The records that differ from what the store holds under the same key (so a re-run that
    sees nothing new writes nothing)."""
    out = []
    for record in records:
        if existing is not None:
            old = existing.get(record.sort_key())
        else:
            old = store.get(record.KIND, record.sort_key(), record.series())
        if old != record:
            out.append(record)
    return out


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True)

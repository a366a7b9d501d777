"""What every sync shares: outcomes, counts, progress, the quarantine and the raw archive."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from core.cli import EXIT_STOPPED
from core.errors import PulseboardError
from storage.base import Blobs, Store
from storage.records import Rejected

COMPLETE = "complete"
RATE_LIMITED = "rate_limited"
BUDGET = "budget"
INTERRUPTED = "interrupted"
ERROR = "error"
NOT_CONFIGURED = "not_configured"

# Outcomes that mean "stopped cleanly, cursor saved, the next run carries on" (exit 3).
STOPPED_EARLY = (RATE_LIMITED, BUDGET, INTERRUPTED)

# Set when the process is asked to stop (the scheduler's SIGTERM/SIGINT): a run in flight ends
# after the batch it is writing, its cursor saved, as on a rate limit.
stop_requested = threading.Event()


class StopSync(PulseboardError):
    """A run stops early and cleanly (rate limit, request budget); what it stored is kept."""

    exit_code = EXIT_STOPPED

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class SyncError(PulseboardError):
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
    # Imported activity files found to be a copy of an activity the source listed: merged in.
    files_absorbed: int = 0
    outcome: str = COMPLETE
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        text = (
            f"{self.source}: {self.outcome.replace('_', ' ')} — fetched {self.fetched}, "
            f"stored {self.stored}, deleted {self.deleted}, rejected {self.rejected}, "
            f"requests {self.requests}"
        )
        merged = self.files_absorbed
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


class Quarantine:
    """One source's quarantined records, read once per run (one Query, on first use): records
    newly rejected are stored once, and those that read fine again (or are gone) leave
    quarantine, so the data-quality page shows only current problems.

    Keys are `Rejected.sort_key()`s; `key(ref)` gives the one for a ref ("row 12")."""

    def __init__(self, store: Store, source: str, keys: set[str] | None = None) -> None:
        self.store = store
        self.source = source
        self._keys = keys

    @property
    def keys(self) -> set[str]:
        if self._keys is None:
            start, end = self._range()
            self._keys = self.store.sort_keys("rejected", start=start, end=end)
        return self._keys

    def _range(self) -> tuple[str, str]:
        return f"{self.source}#", f"{self.source}$"

    def key(self, ref: str) -> str:
        return Rejected(self.source, ref, "", "", datetime.min).sort_key()

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def add(self, rejected: Iterable[Rejected]) -> None:
        new = [r for r in rejected if r.sort_key() not in self.keys]
        if new:
            self.store.put(new)
            self.keys.update(r.sort_key() for r in new)

    def clear(self, keys: Iterable[str]) -> None:
        fixed = sorted({key for key in keys if key in self.keys})
        if fixed:
            self.store.delete("rejected", fixed)
            self.keys.difference_update(fixed)

    def replace(self, rejected: Iterable[Rejected]) -> None:
        """For a source that is the truth for all its rows (the sheet): the quarantine holds
        exactly `rejected`, a reject whose reason or raw value changed is written again."""
        start, end = self._range()
        old = {r.sort_key(): r for r in self.store.query("rejected", start=start, end=end)}
        now = {r.sort_key(): r for r in rejected}
        changed = [r for key, r in now.items()
                   if key not in old or (old[key].reason, old[key].raw) != (r.reason, r.raw)]
        if changed:
            self.store.put(changed)
        gone = sorted(set(old) - set(now))
        if gone:
            self.store.delete("rejected", gone)
        self._keys = set(now)


def utc_now() -> datetime:
    return datetime.now(UTC)


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


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def raw_text(raw: Any, limit: int = 2000) -> str:
    """A rejected payload as quarantine keeps it: JSON, cut to `limit` characters."""
    text = json.dumps(raw, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""The Source protocol every source folder implements, and the run it is handed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from collectors.common import INTERRUPTED, Counts, Progress, StopSync, stop_requested
from storage.base import Blobs, Store

if TYPE_CHECKING:
    import requests

    from collectors.http import Http
    from collectors.tokens import Token
    from settings import Settings


@dataclass
class Run:
    """One run of one source: where it writes and what it is handed (transport, clock, sleep)."""

    store: Store
    blobs: Blobs | None
    counts: Counts
    now: datetime
    full: bool = False
    progress: Progress = field(default_factory=Progress)
    session: requests.Session | None = None
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    # Called after each batch a run writes (a page, a batch of streams): tests stop a run here.
    after_batch: Callable[[int], None] | None = None

    def batch_done(self, batch: int) -> None:
        """Called once a batch and the cursor that follows it are saved: the one safe place
        for a run to stop when the process is asked to."""
        if self.after_batch is not None:
            self.after_batch(batch)
        if stop_requested.is_set():
            raise StopSync(INTERRUPTED, "stopped on request after a saved batch")


class SourceConfig(Protocol):
    """A source's own settings, read once at an edge (frozen, secrets already resolved)."""

    @property
    def configured(self) -> bool: ...


class OAuth(Protocol):
    """The two steps of a first authorization (`python -m collectors connect <source>`)."""

    def authorize_url(self, config: Any, redirect_uri: str, state: str) -> str:
        """The provider's consent page, redirecting back to `redirect_uri` with a code."""
        ...

    def exchange(self, config: Any, code: str, redirect_uri: str, http: Http,
                 now_s: float) -> Token:
        """Trades the one-time code for the first token pair (TokenRejected if refused)."""
        ...


class Source(Protocol):
    """One place data comes from. Adding a source is a folder under collectors/sources/
    holding an object like this, and one line in the registry (collectors/sources/__init__.py).
    """

    @property
    def name(self) -> str:
        """Its key in the store: cursor, token, quarantine and sync status."""
        ...

    @property
    def title(self) -> str:
        """How messages name it ("Strava", "Google Sheets")."""
        ...

    @property
    def syncs(self) -> bool:
        """Whether `sync --source all`, the dashboard's "sync now" and a scheduled Lambda
        handler run it."""
        ...

    @property
    def not_configured(self) -> str:
        """What to set when it is not configured (the whole message, settings named)."""
        ...

    @property
    def oauth(self) -> OAuth | None:
        """The first authorization for `connect`, or None when the source needs none."""
        ...

    def configure(self, current: Settings) -> SourceConfig:
        """Its typed config from the settings an edge read (secrets resolved here, explicitly)."""
        ...

    def sync(self, run: Run, config: Any, **options: Any) -> None:
        """Brings the store up to date; raises StopSync to stop cleanly, SyncError to fail."""
        ...

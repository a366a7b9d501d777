"""The latest stored weight and fat ratio (the forecast's starting point), cached for a while."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from models.features import TARGETS

logger = logging.getLogger(__name__)


class LatestValues:
    """One query per measurement type at most every `ttl_s` seconds: a weigh-in a day does not
    need a store round trip per request. A failing store gives nulls (the forecast itself does
    not need them) and is asked again on the next request."""

    def __init__(
        self, open_store: Callable[[], Any], ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open_store = open_store
        self._store: Any = None
        self.ttl_s = ttl_s
        self.clock = clock
        self._values: dict[str, float | None] | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()
        self.reads = 0

    def get(self) -> dict[str, float | None]:
        with self._lock:
            if self._values is None or self.clock() - self._read_at >= self.ttl_s:
                try:
                    if self._store is None:
                        self._store = self._open_store()
                    self._values = self._read(self._store)
                    self._read_at = self.clock()
                except Exception as exc:  # noqa: BLE001 - a start value is a nicety, not a must
                    logger.warning("latest measurements unavailable: %s: %s",
                                   type(exc).__name__, exc)
                    return dict.fromkeys(TARGETS)
            return dict(self._values)

    def _read(self, store: Any) -> dict[str, float | None]:
        self.reads += 1
        out: dict[str, float | None] = {}
        for kind in TARGETS:
            found = store.latest("measurements", kind, 1)
            out[kind] = float(found[0].value) if found else None
        return out

"""What the stand-ins get wrong on purpose, per source: rate limits, 5xx, slow or cut answers."""

from __future__ import annotations

import random
import threading
from typing import Any

from demo.standins.strava import STRAVA_LIMITS, STRAVA_READ_LIMITS

SOURCES = ("strava", "withings", "sheets")


class Faults:
    """What the stand-ins should get wrong, per source; safe to change while requests run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._rate_after: dict[str, list[int]] = {}  # source -> [allowed, used]
            self._fail: dict[str, dict[str, Any]] = {}
            self._reject: set[str] = set()
            self._slow: dict[str, float] = {}
            self._truncate: dict[str, int] = {}
            self._inactive = False
            self._bad_streams: set[int] = set()
            self.read_limits = STRAVA_READ_LIMITS
            self.limits = STRAVA_LIMITS

    def rate_limit_after(self, source: str, n: int) -> None:
        """The next `n` data calls to `source` pass; later ones get its rate-limit answer."""
        with self._lock:
            self._rate_after[_known(source)] = [n, 0]

    def fail_5xx(
        self,
        source: str,
        times: int | None = 1,
        *,
        probability: float | None = None,
        seed: int = 0,
        status: int = 503,
    ) -> None:
        """The next `times` data calls fail with HTTP `status`; or, with `probability`, each call
        fails with that chance (seeded, so a test sees the same sequence every run). For Withings
        a status outside 500-599 (e.g. 2555) is sent as a body status in an HTTP 200."""
        with self._lock:
            self._fail[_known(source)] = {
                "left": None if probability is not None else times,
                "p": probability,
                "rng": random.Random(seed),
                "status": status,
            }

    def reject_tokens(self, source: str) -> None:
        """Every token request to `source` is refused as an invalid refresh token or grant."""
        with self._lock:
            self._reject.add(_known(source))

    def slow(self, source: str, seconds: float) -> None:
        with self._lock:
            self._slow[_known(source)] = seconds

    def truncate_json(self, source: str, times: int = 1) -> None:
        """The next `times` data answers are cut off halfway through their JSON."""
        with self._lock:
            self._truncate[_known(source)] = times

    def inactive_app(self, inactive: bool = True) -> None:
        """Strava answers 403 'application is inactive' (owner without a subscription)."""
        with self._lock:
            self._inactive = inactive

    def bad_streams(self, activity_id: int, bad: bool = True) -> None:
        """Strava's streams of this activity come with a distance series one sample short of
        the time series (unreadable), until called again with `bad=False`."""
        with self._lock:
            if bad:
                self._bad_streams.add(activity_id)
            else:
                self._bad_streams.discard(activity_id)

    def set_read_limits(self, fifteen_min: int, daily: int) -> None:
        """Strava's read (non-upload) limits; the overall limits stay at least as high."""
        with self._lock:
            self.read_limits = (fifteen_min, daily)
            self.limits = (max(fifteen_min, self.limits[0]), max(daily, self.limits[1]))

    # -- asked by the server --------------------------------------------------------------------

    def delay(self, source: str) -> float:
        with self._lock:
            return self._slow.get(source, 0.0)

    def inactive(self) -> bool:
        with self._lock:
            return self._inactive

    def rejects(self, source: str) -> bool:
        with self._lock:
            return source in self._reject

    def streams_bad(self, activity_id: int) -> bool:
        with self._lock:
            return activity_id in self._bad_streams

    def take_failure(self, source: str) -> int | None:
        with self._lock:
            fail = self._fail.get(source)
            if fail is None:
                return None
            if fail["p"] is not None:
                return fail["status"] if fail["rng"].random() < fail["p"] else None
            if fail["left"] is None or fail["left"] > 0:
                if fail["left"] is not None:
                    fail["left"] -= 1
                return fail["status"]
            return None

    def take_rate_limited(self, source: str) -> bool:
        with self._lock:
            rule = self._rate_after.get(source)
            if rule is None:
                return False
            rule[1] += 1
            return rule[1] > rule[0]

    def take_truncation(self, source: str) -> bool:
        with self._lock:
            left = self._truncate.get(source, 0)
            if left > 0:
                self._truncate[source] = left - 1
                return True
            return False


def _known(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    return source


"""The Eddington number: the largest E with E days of at least E km (or miles), the next step."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Eddington:
    number: int
    # Days still needed at `number + 1` or more for the next number (the days already that
    # long count towards it).
    days_needed: int

    def next_step(self, unit: str) -> str:
        target = self.number + 1
        days = "day" if self.days_needed == 1 else "days"
        return f"{self.days_needed} more {days} of {target} {unit} or more for {target}"


def eddington(day_distances: Iterable[float]) -> Eddington:
    """From each day's distance (already in the unit E is counted in)."""
    values = np.asarray([v for v in day_distances if v > 0], dtype=float)
    values = np.sort(values)[::-1]
    # The k-th longest day (1-based) is at least k for every k up to E.
    ranks = np.arange(1, len(values) + 1)
    number = int(np.sum(np.floor(values) >= ranks)) if len(values) else 0
    # floor(v) >= rank holds for a prefix of the sorted days, so the count above is E.
    target = number + 1
    have = int(np.sum(values >= target))
    return Eddington(number, max(target - have, 0))

"""Which of Strava's sport types are runs: the ones whose streams a sync fetches."""

from __future__ import annotations

RUN_SPORTS = frozenset({"Run", "TrailRun", "VirtualRun"})

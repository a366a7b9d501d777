"""Strava: the athlete's activities (every sport) and, for runs, their streams."""

from __future__ import annotations

from typing import Any

from collectors.sources.base import Run
from collectors.sources.strava.client import StravaOAuth
from collectors.sources.strava.config import StravaConfig
from collectors.sources.strava.sync import sync
from settings import Settings


class Strava:
    name = "strava"
    title = "Strava"
    syncs = True
    not_configured = (
        "Strava is not configured: set PULSEBOARD_STRAVA_CLIENT_ID and "
        "PULSEBOARD_STRAVA_CLIENT_SECRET, then run `python -m collectors connect strava`"
    )
    oauth = StravaOAuth()

    def configure(self, current: Settings) -> StravaConfig:
        return StravaConfig.from_settings(current)

    def sync(self, run: Run, config: StravaConfig, **options: Any) -> None:
        sync(run, config, **options)


SOURCE = Strava()

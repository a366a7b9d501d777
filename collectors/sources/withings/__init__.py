"""Withings: the scale's measure groups (weight, fat, muscle, hydration, bone) as Measurements."""

from __future__ import annotations

from typing import Any

from collectors.sources.base import Run
from collectors.sources.withings.client import WithingsOAuth
from collectors.sources.withings.config import WithingsConfig
from collectors.sources.withings.sync import sync
from settings import Settings


class Withings:
    name = "withings"
    title = "Withings"
    syncs = True
    not_configured = (
        "Withings is not configured: set PULSEBOARD_WITHINGS_CLIENT_ID and "
        "PULSEBOARD_WITHINGS_CLIENT_SECRET, then run `python -m collectors connect withings`"
    )
    oauth = WithingsOAuth()

    def configure(self, current: Settings) -> WithingsConfig:
        return WithingsConfig.from_settings(current)

    def sync(self, run: Run, config: WithingsConfig, **options: Any) -> None:
        sync(run, config, **options)


SOURCE = Withings()

"""Google Sheets: the crossfit log, one LiftSet per row; the sheet is the truth for its rows."""

from __future__ import annotations

from typing import Any

from collectors.sources.base import Run
from collectors.sources.sheets.config import SheetsConfig
from collectors.sources.sheets.sync import sync
from settings import Settings


class Sheets:
    name = "sheets"
    title = "Google Sheets"
    syncs = True
    not_configured = (
        "Google Sheets is not configured: set PULSEBOARD_GOOGLE_CREDENTIALS (a service-account"
        " JSON key file) and PULSEBOARD_SHEETS_ID, and share the sheet with that account"
    )
    oauth = None

    def configure(self, current: Settings) -> SheetsConfig:
        return SheetsConfig.from_settings(current)

    def sync(self, run: Run, config: SheetsConfig, **options: Any) -> None:
        sync(run, config, **options)


SOURCE = Sheets()

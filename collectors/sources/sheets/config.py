"""Google Sheets' settings as one typed config, read once at an edge."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings import Settings


@dataclass(frozen=True)
class SheetsConfig:
    url: str
    # The service account's JSON key file (from the environment, or written from SSM).
    credentials_file: Path | None = None
    sheet_id: str = ""
    a1_range: str = "Log!A:E"
    timeout_s: float = 10.0
    # What a plain `weight` column is in (PULSEBOARD_SHEETS_WEIGHT_UNIT); a weight_lb or
    # weight_kg header says its unit itself.
    weight_unit: str = "kg"

    @property
    def configured(self) -> bool:
        return self.credentials_file is not None and bool(self.sheet_id)

    @classmethod
    def from_settings(cls, current: Settings) -> SheetsConfig:
        return cls(
            url=current.sheets_url,
            credentials_file=current.google_credentials_file(),
            sheet_id=current.sheets_id,
            a1_range=current.sheets_range,
            timeout_s=current.request_timeout_s,
            weight_unit=current.sheets_weight_unit,
        )

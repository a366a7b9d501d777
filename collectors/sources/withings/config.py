"""Withings' settings as one typed config, read once at an edge."""

from __future__ import annotations

from dataclasses import dataclass, field

from settings import Settings


@dataclass(frozen=True)
class WithingsConfig:
    url: str
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    # Seeds an empty token store only; after that the stored (rotated) one rules.
    refresh_token: str = field(default="", repr=False)
    timeout_s: float = 10.0

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @classmethod
    def from_settings(cls, current: Settings) -> WithingsConfig:
        return cls(
            url=current.withings_url,
            client_id=current.withings_client_id,
            client_secret=current.secret("withings_client_secret"),
            refresh_token=current.secret("withings_refresh_token"),
            timeout_s=current.request_timeout_s,
        )

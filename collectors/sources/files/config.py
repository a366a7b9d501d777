"""The activity-file source's settings as one typed config, read once at an edge."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings import Settings


@dataclass(frozen=True)
class FilesConfig:
    # The local inbox is <data_dir>/inbox/, with imported/ and rejected/ beside it.
    data_dir: Path

    @property
    def configured(self) -> bool:
        # Files need no account: dropping one in the inbox or importing it is the setup.
        return True

    @classmethod
    def from_settings(cls, current: Settings) -> FilesConfig:
        return cls(data_dir=current.data_dir)

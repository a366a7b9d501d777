"""Activity files as a source: FIT, GPX, TCX and Strava's export, from the CLI or the drop box."""

from __future__ import annotations

from typing import Any

from collectors.sources.base import Run
from collectors.sources.files import inbox
from collectors.sources.files.cli import register
from collectors.sources.files.config import FilesConfig
from collectors.sources.files.importer import import_bytes, import_paths
from collectors.sources.files.outcomes import Outcome, Summary
from collectors.sources.files.quarantine import SOURCE as NAME
from settings import Settings

__all__ = ["NAME", "SOURCE", "Outcome", "Summary", "import_bytes", "import_paths", "inbox",
           "register"]


class Files:
    name = NAME
    title = "Activity files"
    # Its work is the inbox poll (the scheduler's tick, the S3 upload event) and `import`.
    syncs = False
    not_configured = ""
    oauth = None

    def configure(self, current: Settings) -> FilesConfig:
        return FilesConfig.from_settings(current)

    def sync(self, run: Run, config: FilesConfig, **options: Any) -> None:
        """One poll of the local inbox: each file found is one fetched."""
        for handled in inbox.poll(run.store, now=run.now, data_dir=config.data_dir):
            run.counts.fetched += 1
            run.counts.stored += handled.summary.imported
            run.counts.rejected += handled.summary.rejected


SOURCE = Files()

"""Activity files as a source: FIT, GPX, TCX and Strava's export, from the CLI or the drop box."""

from collectors.sources.files import inbox
from collectors.sources.files.cli import register
from collectors.sources.files.importer import import_bytes, import_paths
from collectors.sources.files.outcomes import Outcome, Summary
from collectors.sources.files.quarantine import SOURCE as NAME

__all__ = ["NAME", "Outcome", "Summary", "import_bytes", "import_paths", "inbox", "register"]

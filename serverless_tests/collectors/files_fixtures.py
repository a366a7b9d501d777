"""Moved to `demo.activity_files` (the demo writes its watch folder and export with it); this
name stays for suites that still import it from here."""

from demo.activity_files import (
    ExportEntry,
    FitWriter,
    Sample,
    export_csv,
    export_zip,
    fit_bytes,
    gpx_text,
    gz,
    samples,
    tcx_bytes,
)

__all__ = ["ExportEntry", "FitWriter", "Sample", "export_csv", "export_zip", "fit_bytes",
           "gpx_text", "gz", "samples", "tcx_bytes"]

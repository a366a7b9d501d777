"""Strava's activities.csv: names, types and manual entries; a bad row refused alone."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from collectors.sources.files.importer import import_bytes
from demo.activity_files import ExportEntry, fit_bytes, samples
from serverless_tests.collectors.sources.files.conftest import DAY, NOW


def export_with_bad_rows() -> tuple[bytes, list[ExportEntry]]:
    """An export whose activities.csv has a NaN and an overflowing Elapsed Time in two rows."""
    import csv

    from demo.activity_files import export_csv

    entries = [ExportEntry(700 + d, DAY + timedelta(days=d), f"Run {d}", "Run", 0.0, 600.0,
                           filename=f"activities/{700 + d}.fit",
                           content=fit_bytes(samples(DAY + timedelta(days=d))))
               for d in range(3)]
    entries.append(ExportEntry(800, DAY + timedelta(days=5), "Gym", "Weight Training", 0.0,
                               3600.0))
    entries.append(ExportEntry(801, DAY + timedelta(days=6), "Yoga", "Yoga", 0.0, 1800.0))
    rows = list(csv.reader(io.StringIO(export_csv(entries))))
    elapsed = rows[0].index("Elapsed Time")
    rows[2][elapsed] = "NaN"  # the second file's row
    rows[4][elapsed] = "1e400"  # the gym session's row
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("activities.csv", text.getvalue())
        for entry in entries:
            if entry.content is not None:
                zf.writestr(entry.filename, entry.content)
    return buffer.getvalue(), entries


def test_a_bad_row_of_the_export_csv_is_refused_alone(store):
    data, entries = export_with_bad_rows()
    summary = import_bytes(store, "export.zip", data, now=NOW)
    reasons = {o.ref: o.reason for o in summary.rejections}
    assert set(reasons) == {"export.zip:activities.csv#3", "export.zip:activities.csv#5"}
    assert "'NaN'" in reasons["export.zip:activities.csv#3"]
    assert "'1e400'" in reasons["export.zip:activities.csv#5"]
    # Every file still imports (the one of the bad row under its own name), and the good
    # manual entry too.
    assert summary.imported == 4
    names = sorted(a.name for a in store.query("activities"))
    assert names == sorted(["Run 0", f"Run {entries[1].start:%Y-%m-%d}", "Run 2", "Yoga"])

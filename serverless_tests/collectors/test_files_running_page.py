"""Imported files show on the running page: in its run list, on its map, in its session graph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collectors.files import import_paths
from demo.activity_files import (
    ExportEntry,
    export_zip,
    fit_bytes,
    gz,
    samples,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)


def test_an_export_and_a_fit_folder_show_on_the_running_page(sqlite_store, tmp_path):
    from dashboard import data
    from dashboard.logic import running

    garmin = tmp_path / "garmin"
    garmin.mkdir()
    for d in range(3):
        (garmin / f"{d}.fit").write_bytes(fit_bytes(samples(DAY + timedelta(days=d))))
    points = samples(DAY + timedelta(days=10), n=90)
    entry = ExportEntry(42, points[0].time, "Export trail", "Trail Run", points[-1].distance_m,
                        450.0, filename="activities/42.fit.gz", content=gz(fit_bytes(points)))
    (tmp_path / "export.zip").write_bytes(export_zip([entry]))
    summary = import_paths(sqlite_store, [garmin, tmp_path / "export.zip"], now=NOW)
    assert summary.imported == 4

    runs = data.activities(sqlite_store, runs_only=True)
    assert len(runs) == 4 and "Export trail" in set(runs["name"])
    lats, lons, ids = running.routes(runs)
    assert set(i for i in ids if i) == set(runs["id"])
    chosen = runs[runs["name"] == "Export trail"].iloc[0].to_dict()
    figure = running.run_map(runs, chosen["id"])
    assert [t.name for t in figure.data] == ["runs", "selected run"]
    stream = sqlite_store.get("streams", chosen["id"])
    graph = running.session(stream, chosen)
    assert {t.name for t in graph.data} == {"pace", "elevation", "heart rate"}
    assert len(graph.data[0].x) > 10

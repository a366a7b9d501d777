"""Parsing in worker processes gives what one process gives."""

from __future__ import annotations

from datetime import timedelta

from collectors.sources.files import pool
from collectors.sources.files.importer import import_paths
from demo.activity_files import (
    fit_bytes,
    gpx_text,
    samples,
)
from serverless_tests.collectors.sources.files.conftest import (
    DAY,
    NOW,
    snapshot,
)
from storage import open_store


def test_parsing_in_worker_processes_gives_the_same_store(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for d in range(pool.PARALLEL_MIN_ITEMS + 2):
        points = samples(DAY + timedelta(days=d), n=40)
        name, data = (f"{d}.fit", fit_bytes(points)) if d % 3 else (f"{d}.gpx",
                                                                     gpx_text(points).encode())
        (folder / name).write_bytes(data)
    (folder / "cut.fit").write_bytes(fit_bytes(samples(DAY))[:100])
    results = {}
    for workers in (1, 2):
        with open_store(f"sqlite:///{tmp_path / f'w{workers}.db'}") as store:
            summary = import_paths(store, [folder], now=NOW, workers=workers)
            results[workers] = (summary.outcomes, snapshot(store))
    assert results[2] == results[1]
    assert sum(o.status == "imported" for o in results[2][0]) == pool.PARALLEL_MIN_ITEMS + 2

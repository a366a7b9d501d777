"""Refused files in the one quarantine, named "files"; those kept under the old name "file" too."""

from __future__ import annotations

from collectors.sources.files import quarantine
from collectors.sources.files.importer import import_paths
from demo.activity_files import fit_bytes, samples
from serverless_tests.collectors.sources.files.conftest import DAY, NOW
from storage.records import Rejected


def test_refusals_are_quarantined_under_the_source_name_and_leave_when_fixed(store, tmp_path):
    (tmp_path / "cut.fit").write_bytes(fit_bytes(samples(DAY))[:300])
    import_paths(store, [tmp_path], now=NOW)
    [held] = store.query("rejected")
    assert held.source == "files" == quarantine.SOURCE
    assert held.sort_key() == quarantine.key(str(tmp_path / "cut.fit"))
    (tmp_path / "cut.fit").write_bytes(fit_bytes(samples(DAY)))
    import_paths(store, [tmp_path], now=NOW)
    assert store.query("rejected") == []


def test_refusals_stored_under_the_old_name_are_kept_and_cleared_when_fixed(store, tmp_path):
    fixed, still_bad = str(tmp_path / "fixed.fit"), str(tmp_path / "bad.gpx")
    other = Rejected(source="strava", ref="123", reason="no start date", raw="{}", seen_at=NOW)
    store.put([Rejected(source="file", ref=ref, reason="truncated FIT file", raw="", seen_at=DAY)
               for ref in (fixed, still_bad)] + [other])
    (tmp_path / "fixed.fit").write_bytes(fit_bytes(samples(DAY)))
    summary = import_paths(store, [tmp_path / "fixed.fit"], now=NOW)
    assert summary.imported == 1
    held = {r.sort_key(): r for r in store.query("rejected")}
    assert set(held) == {quarantine.key(still_bad), other.sort_key()}
    kept = held[quarantine.key(still_bad)]
    assert (kept.source, kept.reason, kept.seen_at) == ("files", "truncated FIT file", DAY)

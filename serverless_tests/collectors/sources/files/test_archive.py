"""Archives: unsafe member paths, bombs and members lying about their size."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from collectors.sources.files.archive import Limits
from collectors.sources.files.importer import import_bytes, import_paths
from demo.activity_files import (
    ExportEntry,
    export_zip,
    fit_bytes,
    samples,
)
from serverless_tests.collectors.sources.files.conftest import (
    DAY,
    NOW,
    export_entries,
)


def test_zip_slip_members_are_rejected_and_the_rest_imported(store, tmp_path):
    points = samples(DAY)
    archive = tmp_path / "evil.zip"
    archive.write_bytes(export_zip(export_entries()[:1], extra={
        "../../outside.fit": fit_bytes(points),
        "/etc/cron.d/job.fit": fit_bytes(points),
    }))
    summary = import_paths(store, [archive], now=NOW)
    assert summary.imported == 1
    assert summary.rejected == 2
    assert all("outside the archive" in o.reason for o in summary.rejections)
    assert not (tmp_path.parent / "outside.fit").exists()


def test_an_archive_expanding_past_the_limit_is_rejected(store, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities/bomb.fit", b"\0" * (3 * 2**20))
    (tmp_path / "bomb.zip").write_bytes(buffer.getvalue())
    (tmp_path / "fine.fit").write_bytes(fit_bytes(samples(DAY)))
    summary = import_paths(store, [tmp_path / "bomb.zip", tmp_path / "fine.fit"], now=NOW,
                           limits=Limits(file_bytes=2**20, archive_bytes=2 * 2**20))
    assert summary.imported == 1
    [refusal] = summary.rejections
    assert refusal.ref.endswith("bomb.zip") and "over the 2 MB limit" in refusal.reason


def test_an_export_member_over_the_file_limit_is_rejected_not_imported_from_csv(store):
    entry = ExportEntry(5, DAY, "Huge", "Run", 5000.0, 1500.0, filename="activities/5.fit",
                        content=b"\0" * (2 * 2**20))
    summary = import_bytes(store, "export.zip", export_zip([entry]), now=NOW,
                           limits=Limits(file_bytes=2**20))
    assert (summary.imported, summary.rejected) == (0, 1)
    assert "limit" in summary.rejections[0].reason
    assert store.count("activities") == 0


def test_a_member_lying_about_its_size_is_rejected_not_inflated(sqlite_store):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities/liar.fit", b"\0" * (3 * 2**20))
        zf.writestr("activities/ok.fit", fit_bytes(samples(DAY)))
    data = bytearray(buffer.getvalue())
    # Declared size rewritten to 1 KB: reading stops there and the checksum gives the lie away.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("activities/liar.fit")
    marker = (3 * 2**20).to_bytes(4, "little")
    data = bytes(data).replace(marker, (1024).to_bytes(4, "little"))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.getinfo("activities/liar.fit").file_size == 1024 != info.file_size
    summary = import_bytes(sqlite_store, "upload.zip", data, now=NOW,
                           limits=Limits(file_bytes=2**20, archive_bytes=8 * 2**20))
    assert summary.imported == 1
    [refusal] = summary.rejections
    assert refusal.ref.endswith("liar.fit") and "damaged" in refusal.reason



def test_a_file_name_that_is_not_utf8_is_refused_in_a_safe_form(store, tmp_path):
    from serverless_tests.collectors.sources.files.conftest import write_bytes_named

    write_bytes_named(tmp_path, b"caf\xe9.fit", fit_bytes(samples(DAY)))
    (tmp_path / "fine.fit").write_bytes(fit_bytes(samples(DAY + timedelta(days=1))))
    summary = import_paths(store, [tmp_path], now=NOW)
    assert (summary.imported, summary.rejected) == (1, 1)
    [refusal] = summary.rejections
    assert refusal.ref == f"{tmp_path}/caf\\xe9.fit" and "not UTF-8" in refusal.reason
    assert [r.ref for r in store.query("rejected")] == [refusal.ref]


def test_a_file_over_the_limit_is_refused_on_its_size_without_being_read(store, tmp_path,
                                                                           monkeypatch):
    from pathlib import Path

    huge = tmp_path / "huge.fit"
    with open(huge, "wb") as handle:
        handle.truncate(700 * 2**20)  # sparse: 700 MB on paper, nothing on disk
    (tmp_path / "fine.fit").write_bytes(fit_bytes(samples(DAY)))
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real(self))
    summary = import_paths(store, [tmp_path], now=NOW)
    assert (summary.imported, summary.rejected) == (1, 1)
    assert "700 MB, larger than the 64 MB limit" in summary.rejections[0].reason
    assert reads == ["fine.fit"]

"""The local drop box folder: links never followed, files moved by rename, sizes from stat."""

from __future__ import annotations

import os
import time

from collectors.sources.files.folder import InboxFolder
from demo.activity_files import fit_bytes, samples
from serverless_tests.collectors.sources.files.conftest import DAY


def aged(path, seconds: float = 60) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past), follow_symlinks=False)


def test_links_are_listed_as_links_and_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.fit").write_bytes(b"not yours")
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "run.fit").write_bytes(fit_bytes(samples(DAY)))
    (inbox / "link.fit").symlink_to(outside / "secret.fit")
    (inbox / "folder").symlink_to(outside)
    for path in inbox.iterdir():
        aged(path)
    folder = InboxFolder(tmp_path / "data")
    assert [i.key for i in folder.list("inbox/")] == [
        "inbox/folder", "inbox/link.fit", "inbox/run.fit"]
    assert folder.is_link("inbox/link.fit") and folder.is_link("inbox/folder")
    assert not folder.is_link("inbox/run.fit")
    folder.move("inbox/link.fit", "rejected/link.fit")
    assert (tmp_path / "data" / "rejected" / "link.fit").is_symlink()
    assert (outside / "secret.fit").read_bytes() == b"not yours"


def test_a_move_is_a_rename_and_head_reads_nothing(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "run.fit").write_bytes(b"x" * 1000)
    inode = (inbox / "run.fit").stat().st_ino
    folder = InboxFolder(tmp_path)
    monkeypatch.setattr("pathlib.Path.read_bytes", lambda self: (_ for _ in ()).throw(
        AssertionError("read")))
    info = folder.head("inbox/run.fit")
    assert info is not None and info.size_bytes == 1000
    moved = folder.move("inbox/run.fit", "imported/2025/run.fit")
    assert (tmp_path / "imported" / "2025" / "run.fit").stat().st_ino == inode
    assert moved.size_bytes == 1000 and folder.head("inbox/run.fit") is None

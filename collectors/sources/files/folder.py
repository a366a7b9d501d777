"""The local drop box: the data dir as a blob tree that never follows a link out of it."""

from __future__ import annotations

import hashlib
import os
import stat as mode
import time
from collections.abc import Callable
from pathlib import Path

from storage.base import BlobInfo, BlobNotFound
from storage.files import FileBlobs

# A file modified this recently may still be being copied into the folder: leave it for the
# next poll rather than import half of it.
SETTLE_S = 5.0


def _info(key: str, found: os.stat_result) -> BlobInfo:
    # Size and time stand in for the ETag: listing or moving must not read the file.
    tag = hashlib.md5(f"{found.st_size}:{found.st_mtime_ns}".encode(), usedforsecurity=False)
    return BlobInfo(key, tag.hexdigest(), found.st_size)


class InboxFolder(FileBlobs):
    """The data dir as a blob tree (keys `inbox/…`, `imported/…`, `rejected/…`). Lists only the
    asked folder, not the whole data dir, and not files still being written. A symbolic link
    is listed (so it can be moved aside with a reason) but never followed or read."""

    def __init__(
        self, root: str | Path, settle_s: float = SETTLE_S, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(root)
        self.settle_s = settle_s
        self.clock = clock

    def list(self, prefix: str = "") -> list[BlobInfo]:
        folder = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not folder.is_dir() or folder.is_symlink():
            return []
        cutoff = self.clock() - self.settle_s
        out = []
        for parent, dirs, names in os.walk(folder):  # never into a linked folder
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            linked = [d for d in dirs if (Path(parent) / d).is_symlink()]
            for name in sorted([n for n in names if not n.startswith(".")] + linked):
                path = Path(parent) / name
                key = path.relative_to(self.root).as_posix()
                found = path.lstat()
                if not key.startswith(prefix) or found.st_mtime > cutoff:
                    continue
                if mode.S_ISREG(found.st_mode) or mode.S_ISLNK(found.st_mode):
                    out.append(_info(key, found))
        return sorted(out, key=lambda i: i.key)

    def is_link(self, key: str) -> bool:
        return self._path(key).is_symlink()

    def head(self, key: str) -> BlobInfo | None:
        try:
            return _info(key, self._path(key).lstat())
        except (FileNotFoundError, NotADirectoryError):
            return None

    def get(self, key: str) -> tuple[bytes, BlobInfo]:
        if self.is_link(key):
            raise BlobNotFound(f"{key} is a link, not read")
        data, _ = super().get(key)
        info = self.head(key)
        if info is None:
            raise BlobNotFound(key)
        return data, info

    def move(self, key: str, new_key: str) -> BlobInfo:
        """By rename: nothing is read or copied, and a link moves as the link it is."""
        source, target = self._path(key), self._path(new_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        info = self.head(new_key)
        assert info is not None
        return info

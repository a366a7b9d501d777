"""Blobs in a local folder (the laptop default): atomic writes, MD5 ETags like S3's."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path, PurePosixPath

from storage.base import BlobInfo, BlobNotFound, Blobs, StoreError

TMP_DIR = ".tmp"


def check_key(key: str) -> str:
    """Blob keys are relative POSIX paths; refuse anything that could leave the root."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key or key.endswith("/"):
        raise StoreError(f"invalid blob key {key!r}: use a relative path like 'models/a.pkl'")
    if path.parts[0] == TMP_DIR:
        raise StoreError(f"invalid blob key {key!r}: {TMP_DIR}/ is reserved")
    return key


def _etag(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class FileBlobs(Blobs):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> BlobInfo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_dir = self.root / TMP_DIR
        tmp_dir.mkdir(parents=True, exist_ok=True)
        # Write aside then rename: a reader sees the old blob or the new one, never half of one.
        fd, tmp = tempfile.mkstemp(dir=tmp_dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return BlobInfo(key, _etag(data), len(data))

    def get(self, key: str) -> tuple[bytes, BlobInfo]:
        try:
            data = self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise BlobNotFound(key) from None
        return data, BlobInfo(key, _etag(data), len(data))

    def head(self, key: str) -> BlobInfo | None:
        try:
            _, info = self.get(key)
        except BlobNotFound:
            return None
        return info

    def list(self, prefix: str = "") -> list[BlobInfo]:
        if not self.root.exists():
            return []
        out = []
        for path in sorted(self.root.rglob("*")):
            if not path.is_file():
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(TMP_DIR + "/") or not key.startswith(prefix):
                continue
            data = path.read_bytes()
            out.append(BlobInfo(key, _etag(data), len(data)))
        return out

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

"""One contract, both blob adapters."""

from __future__ import annotations

import hashlib

import pytest

from storage import BlobNotFound, StoreError
from storage.base import Blobs


def test_put_get_head_with_etag(blobs: Blobs) -> None:
    data = b"\x80pickle\x00bytes" * 100
    info = blobs.put("models/forecast/v1.pkl", data)
    assert info.etag == hashlib.md5(data).hexdigest() and info.size_bytes == len(data)
    got, got_info = blobs.get("models/forecast/v1.pkl")
    assert got == data and got_info.etag == info.etag
    assert blobs.head("models/forecast/v1.pkl") == info
    changed = blobs.put("models/forecast/v1.pkl", data + b"!")
    assert changed.etag != info.etag


def test_missing_blob(blobs: Blobs) -> None:
    assert blobs.head("nope.json") is None
    with pytest.raises(BlobNotFound):
        blobs.get("nope.json")
    blobs.delete("nope.json")  # deleting what is absent is fine


def test_list_by_prefix_move_and_delete(blobs: Blobs) -> None:
    blobs.put("raw/strava/2024-01-01/a.json", b"{}")
    blobs.put("raw/strava/2024-01-02/b.json", b"[]")
    blobs.put("raw/withings/2024-01-01/c.json", b"{}")
    blobs.put("inbox/ride.gpx", "<gpx>é</gpx>".encode())
    assert [b.key for b in blobs.list("raw/strava/")] == [
        "raw/strava/2024-01-01/a.json",
        "raw/strava/2024-01-02/b.json",
    ]
    assert len(blobs.list()) == 4
    blobs.move("inbox/ride.gpx", "imported/ride.gpx")
    assert blobs.head("inbox/ride.gpx") is None
    assert blobs.get("imported/ride.gpx")[0] == "<gpx>é</gpx>".encode()
    blobs.delete("raw/withings/2024-01-01/c.json")
    assert [b.key for b in blobs.list("raw/withings/")] == []


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", "", "dir/", "a\\b"])
def test_keys_that_could_escape_are_refused(blobs: Blobs, key: str) -> None:
    with pytest.raises(StoreError, match="invalid blob key"):
        blobs.put(key, b"x")

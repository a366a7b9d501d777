"""Publishing: pickle first, manifest last, sha256 checked before anything is unpickled."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from models import artifact, train
from serverless_tests.models.athlete import load


class Recording:
    """Blobs that remember the order of writes."""

    def __init__(self, inner):
        self.inner, self.writes = inner, []

    def put(self, key, data, content_type="application/octet-stream"):
        self.writes.append(key)
        return self.inner.put(key, data, content_type)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_run_publishes_pickle_then_manifest_and_reads_back(sqlite_store, blobs, athlete):
    load(sqlite_store, athlete)
    recording = Recording(blobs)
    moment = datetime(2025, 3, 3, 4, tzinfo=UTC)
    result, manifest = train.run(sqlite_store, recording, clock=lambda: moment)
    assert recording.writes == [manifest["pickle_key"], artifact.MANIFEST_KEY]
    assert manifest["pickle_key"] == "models/forecast/20250303T040000Z.pkl"
    stored = json.loads(blobs.get(artifact.MANIFEST_KEY)[0])
    assert stored == manifest
    data, _ = blobs.get(manifest["pickle_key"])
    assert artifact.sha256(data) == manifest["sha256"] and len(data) == manifest["size_bytes"]
    published = artifact.read(blobs)
    assert published.manifest == manifest
    assert published.predictor == result.predictor
    assert published.etag == blobs.head(artifact.MANIFEST_KEY).etag


def test_nothing_published_reads_as_none(tmp_path):
    from storage import open_blobs

    assert artifact.read(open_blobs(f"file://{tmp_path}/b")) is None


def test_not_enough_data_publishes_nothing(sqlite_store, tmp_path, athlete):
    from storage import open_blobs

    blobs = open_blobs(f"file://{tmp_path}/b")
    load(sqlite_store, {k: v[:60] if isinstance(v, list) else v for k, v in athlete.items()})
    with pytest.raises(train.NotEnoughData):
        train.run(sqlite_store, blobs)
    assert blobs.list() == []


@pytest.fixture
def published(tmp_path, trained):
    from storage import open_blobs

    blobs = open_blobs(f"file://{tmp_path}/b")
    manifest = artifact.publish(
        blobs, trained.predictor, train.manifest(trained, datetime.now(UTC), 16)
    )
    return blobs, manifest


def test_a_pickle_that_does_not_match_its_sha256_is_never_unpickled(published, monkeypatch):
    blobs, manifest = published
    data, _ = blobs.get(manifest["pickle_key"])
    blobs.put(manifest["pickle_key"], data[:-1] + bytes([data[-1] ^ 1]))

    def refuse(*args, **kwargs):
        raise AssertionError("unpickled despite a sha256 mismatch")

    monkeypatch.setattr(artifact, "_OnlyPredictor", refuse)
    with pytest.raises(artifact.ArtifactError, match="sha256"):
        artifact.read(blobs)


def test_a_manifest_naming_a_missing_pickle_is_an_error(published):
    blobs, manifest = published
    blobs.delete(manifest["pickle_key"])
    with pytest.raises(artifact.ArtifactError, match="missing"):
        artifact.read(blobs)


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"version": "x"}',
                                 b'{"version": "x", "trained_at": "", "pickle_key": "../x.pkl", '
                                 b'"sha256": "", "features": [], "targets": [], "k": 1}'])
def test_bad_manifests_are_errors_that_say_what_to_do(published, raw):
    blobs, _ = published
    blobs.put(artifact.MANIFEST_KEY, raw)
    with pytest.raises(artifact.ArtifactError, match="retrain"):
        artifact.read(blobs)


def test_old_pickles_are_pruned_the_current_one_never(published, trained):
    blobs, _ = published
    for day in range(1, 9):
        moment = datetime(2025, 1, day, tzinfo=UTC)
        latest = artifact.publish(blobs, trained.predictor, train.manifest(trained, moment, 16))
    pickles = [i.key for i in blobs.list(artifact.PREFIX) if i.key.endswith(".pkl")]
    assert len(pickles) == artifact.KEEP_VERSIONS
    assert latest["pickle_key"] in pickles
    assert artifact.read(blobs).manifest["version"] == latest["version"]
    oldest = min(pickles)
    artifact.prune(blobs, keep=oldest, versions=1)
    left = {i.key for i in blobs.list(artifact.PREFIX) if i.key.endswith(".pkl")}
    assert left == {max(pickles), oldest}

"""Publishing: model file first, manifest last; reading: every blob HEADed before it is
downloaded, size, sha256 and signature checked before anything is decoded."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from models import artifact, model_file, train
from models.features import FEATURES, TARGETS
from models.predict import Predictor
from testkit.athlete import load
from testkit.reliability.api_trials import newobj_build_pickle


class Recording:
    """Blobs that remember the order of writes."""

    def __init__(self, inner):
        self.inner, self.writes = inner, []

    def put(self, key, data, content_type="application/octet-stream"):
        self.writes.append(key)
        return self.inner.put(key, data, content_type)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_run_publishes_model_file_then_manifest_and_reads_back(sqlite_store, blobs, athlete):
    load(sqlite_store, athlete)
    recording = Recording(blobs)
    moment = datetime(2025, 3, 3, 4, tzinfo=UTC)
    result, manifest = train.run(sqlite_store, recording, clock=lambda: moment)
    assert recording.writes == [manifest["artifact_key"], artifact.MANIFEST_KEY]
    assert manifest["artifact_key"] == "models/forecast/20250303T040000Z.json"
    stored = json.loads(blobs.get(artifact.MANIFEST_KEY)[0])
    assert stored == manifest
    data, _ = blobs.get(manifest["artifact_key"])
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


def test_a_model_file_that_does_not_match_its_sha256_is_never_decoded(published, monkeypatch):
    blobs, manifest = published
    data, _ = blobs.get(manifest["artifact_key"])
    blobs.put(manifest["artifact_key"], data[:-1] + bytes([data[-1] ^ 1]))

    def refuse(*args, **kwargs):
        raise AssertionError("decoded despite a sha256 mismatch")

    monkeypatch.setattr(model_file, "decode", refuse)
    with pytest.raises(artifact.ArtifactError, match="sha256"):
        artifact.read(blobs)


def test_a_manifest_naming_a_missing_model_file_is_an_error(published):
    blobs, manifest = published
    blobs.delete(manifest["artifact_key"])
    with pytest.raises(artifact.ArtifactError, match="missing"):
        artifact.read(blobs)


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"version": "x"}',
                                 b'{"version": "x", "trained_at": "", "artifact_key": "../x.json", '
                                 b'"sha256": "", "size_bytes": 1, "features": [], "targets": [], '
                                 b'"k": 1}'])
def test_bad_manifests_are_errors_that_say_what_to_do(published, raw):
    blobs, _ = published
    blobs.put(artifact.MANIFEST_KEY, raw)
    with pytest.raises(artifact.ArtifactError, match="retrain"):
        artifact.read(blobs)


def test_old_model_files_are_pruned_the_current_one_never(published, trained):
    blobs, _ = published
    for day in range(1, 9):
        moment = datetime(2025, 1, day, tzinfo=UTC)
        latest = artifact.publish(blobs, trained.predictor, train.manifest(trained, moment, 16))
    files = [i.key for i in blobs.list(artifact.PREFIX) if i.key != artifact.MANIFEST_KEY]
    assert len(files) == artifact.KEEP_VERSIONS
    assert latest["artifact_key"] in files
    assert artifact.read(blobs).manifest["version"] == latest["version"]
    oldest = min(files)
    artifact.prune(blobs, keep=oldest, versions=1)
    left = {i.key for i in blobs.list(artifact.PREFIX) if i.key != artifact.MANIFEST_KEY}
    assert left == {max(files), oldest}


def test_pickles_of_the_format_before_go_at_the_next_publication(published, trained):
    blobs, _ = published
    blobs.put(f"{artifact.PREFIX}20240101T000000Z.pkl", b"\x80\x05old")
    latest = artifact.publish(blobs, trained.predictor,
                              train.manifest(trained, datetime(2025, 2, 3, tzinfo=UTC), 16))
    keys = {i.key for i in blobs.list(artifact.PREFIX)}
    assert not [key for key in keys if key.endswith(".pkl")]
    assert latest["artifact_key"] in keys


# --- finding 5: nothing larger than announced is fetched, a signed manifest, no pickles -------

class Counting:
    """Blobs that count calls by operation."""

    def __init__(self, inner):
        self.inner, self.calls = inner, {"head": 0, "get": 0}

    def head(self, key):
        self.calls["head"] += 1
        return self.inner.head(key)

    def get(self, key):
        self.calls["get"] += 1
        return self.inner.get(key)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def rewrite(blobs, manifest, **changes):
    blobs.put(artifact.MANIFEST_KEY, json.dumps({**manifest, **changes}).encode())


def test_a_model_file_larger_than_the_manifest_says_is_not_downloaded(published):
    blobs, manifest = published
    data, _ = blobs.get(manifest["artifact_key"])
    blobs.put(manifest["artifact_key"], data + b" " * 1_000_000)  # still the same JSON
    counting = Counting(blobs)
    with pytest.raises(artifact.ArtifactError, match="bytes, the manifest says") as caught:
        artifact.read(counting)
    assert "not downloaded" in str(caught.value)
    assert counting.calls == {"head": 2, "get": 1}  # the manifest only


def test_a_manifest_announcing_more_than_the_cap_is_refused_before_any_model_download(published):
    blobs, manifest = published
    size = artifact.MAX_MODEL_BYTES + 1
    blobs.put(manifest["artifact_key"], b" " * size)
    rewrite(blobs, manifest, size_bytes=size)
    counting = Counting(blobs)
    with pytest.raises(artifact.ArtifactError, match="size"):
        artifact.read(counting)
    assert counting.calls == {"head": 1, "get": 1}


def test_an_oversize_manifest_is_not_downloaded(published):
    blobs, manifest = published
    blobs.put(artifact.MANIFEST_KEY, json.dumps({**manifest, "pad": "x" * 70_000}).encode())
    counting = Counting(blobs)
    with pytest.raises(artifact.ArtifactError, match="over the 65536"):
        artifact.read(counting)
    assert counting.calls["get"] == 0


def test_a_manifest_of_the_pickle_format_says_retrain(published):
    blobs, manifest = published
    old = {name: value for name, value in manifest.items() if name != "artifact_key"}
    rewrite(blobs, {**old, "pickle_key": "models/forecast/20250106T040000Z.pkl"})
    with pytest.raises(artifact.ArtifactError, match="retrain: python -m models train"):
        artifact.read(blobs)


def test_a_consistent_newobj_build_pickle_is_refused_and_runs_nothing(published):
    """The sidestep of finding 5: a pickle that builds a Predictor without its constructor, with
    a manifest whose sha256 and size match it."""
    blobs, manifest = published
    evil = newobj_build_pickle()
    blobs.put(manifest["artifact_key"], evil)
    rewrite(blobs, manifest, sha256=artifact.sha256(evil), size_bytes=len(evil))
    with pytest.raises(artifact.ArtifactError, match="is a pickle.*retrain: python -m models"):
        artifact.read(blobs)


@pytest.mark.parametrize("changes", [
    {"k": True}, {"k": 0}, {"size_bytes": -1}, {"sha256": "Z" * 64},
    {"version": "../../x"}, {"targets": ["weight_kg"]},
    {"features": [{"name": "distance_km", "min": 0, "max": "huge"}]},
    {"features": [{"name": n, "min": 0, "max": 10 ** 400} for n in FEATURES]},
])
def test_every_manifest_field_is_checked(published, changes):
    blobs, manifest = published
    rewrite(blobs, manifest, **changes)
    with pytest.raises(artifact.ArtifactError, match="retrain"):
        artifact.read(blobs)


def test_a_manifest_signed_under_the_key_is_served_and_unsigned_ones_refused(tmp_path, trained):
    from storage import open_blobs

    blobs = open_blobs(f"file://{tmp_path}/signed")
    manifest = artifact.publish(blobs, trained.predictor,
                                train.manifest(trained, datetime.now(UTC), 16), "model-key")
    assert manifest["signature"].startswith("hmac-sha256=")
    assert artifact.read(blobs, "model-key").predictor == trained.predictor
    assert artifact.read(blobs).predictor == trained.predictor  # a reader without a key
    with pytest.raises(artifact.ArtifactError, match="does not match PULSEBOARD_MODEL_KEY"):
        artifact.read(blobs, "another-key")
    unsigned = artifact.publish(blobs, trained.predictor, manifest)  # re-published without key
    assert "signature" not in unsigned
    with pytest.raises(artifact.ArtifactError, match="not signed"):
        artifact.read(blobs, "model-key")


def test_write_access_to_the_bucket_alone_cannot_publish_a_model(tmp_path, trained):
    """Swap in another model file and fix the manifest's sha256 and size: the signature, made
    without the key, no longer matches."""
    from storage import open_blobs

    blobs = open_blobs(f"file://{tmp_path}/signed")
    manifest = artifact.publish(blobs, trained.predictor,
                                train.manifest(trained, datetime.now(UTC), 16), "model-key")
    other = model_file.encode(Predictor(FEATURES, TARGETS, [0.0] * 4, [1.0] * 4,
                                        [[0.0] * 4], [[9.0, 9.0]], 1))
    blobs.put(manifest["artifact_key"], other)
    rewrite(blobs, manifest, sha256=artifact.sha256(other), size_bytes=len(other))
    with pytest.raises(artifact.ArtifactError, match="signature does not match"):
        artifact.read(blobs, "model-key")

"""The published model: a pickled Predictor and its manifest in blobs, checked before unpickling."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from dataclasses import dataclass
from typing import Any

from core.errors import PulseboardError
from models.predict import Predictor
from storage.base import BlobNotFound

PREFIX = "models/forecast/"
MANIFEST_KEY = PREFIX + "manifest.json"
KEEP_VERSIONS = 5
REQUIRED = ("version", "trained_at", "pickle_key", "sha256", "features", "targets", "k")


class ArtifactError(PulseboardError):
    """The published model cannot be used; the message says why and what to do."""


def pickle_key(version: str) -> str:
    return f"{PREFIX}{version}.pkl"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump(predictor: Predictor) -> bytes:
    return pickle.dumps(predictor, protocol=pickle.HIGHEST_PROTOCOL)


def publish(blobs: Any, predictor: Predictor, manifest: dict[str, Any]) -> dict[str, Any]:
    """Writes the pickle, then the manifest naming it and its sha256: the manifest goes last,
    so a reader never sees a manifest for a missing or half-written pickle. Returns the manifest
    as written; older pickles beyond the newest few are then removed."""
    data = dump(predictor)
    key = pickle_key(manifest["version"])
    written = {**manifest, "pickle_key": key, "sha256": sha256(data), "size_bytes": len(data)}
    blobs.put(key, data, "application/octet-stream")
    blobs.put(
        MANIFEST_KEY,
        json.dumps(written, indent=2, sort_keys=True).encode(),
        "application/json",
    )
    prune(blobs, keep=key)
    return written


def prune(blobs: Any, keep: str, versions: int = KEEP_VERSIONS) -> list[str]:
    """Deletes all but the newest `versions` pickles (versions sort by time); never `keep`."""
    pickles = sorted(
        (info.key for info in blobs.list(PREFIX) if info.key.endswith(".pkl")), reverse=True
    )
    gone = [key for key in pickles[versions:] if key != keep]
    for key in gone:
        blobs.delete(key)
    return gone


def parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise ArtifactError(
            f"{MANIFEST_KEY} is not JSON; retrain with `python -m models train`"
        ) from None
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{MANIFEST_KEY} is not a JSON object; retrain the model")
    missing = [name for name in REQUIRED if name not in manifest]
    if missing:
        raise ArtifactError(f"{MANIFEST_KEY} lacks {', '.join(missing)}; retrain the model")
    if not str(manifest["pickle_key"]).startswith(PREFIX):
        raise ArtifactError(f"{MANIFEST_KEY} names a pickle outside {PREFIX}; retrain the model")
    return manifest


class _OnlyPredictor(pickle.Unpickler):
    """Even after the sha256 matched, a pickle may build nothing but a Predictor."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("models.predict", "Predictor"):
            return Predictor
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a model pickle")


def load_predictor(data: bytes, manifest: dict[str, Any]) -> Predictor:
    """Unpickles `data` only when its sha256 is the manifest's, and only into a Predictor."""
    digest = sha256(data)
    if digest != manifest["sha256"]:
        raise ArtifactError(
            f"{manifest['pickle_key']} has sha256 {digest[:12]}…, the manifest says "
            f"{str(manifest['sha256'])[:12]}…: not loaded; retrain with `python -m models train`"
        )
    try:
        predictor = _OnlyPredictor(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError) as exc:
        raise ArtifactError(f"{manifest['pickle_key']} is not a forecast model ({exc})") from None
    if not isinstance(predictor, Predictor):
        raise ArtifactError(f"{manifest['pickle_key']} holds no Predictor; retrain the model")
    if list(predictor.feature_names) != [f["name"] for f in manifest["features"]]:
        raise ArtifactError(f"{manifest['pickle_key']}: features differ from the manifest's")
    return predictor


@dataclass(frozen=True)
class Published:
    manifest: dict[str, Any]
    predictor: Predictor
    etag: str  # the manifest's: a new publication changes it


def read(blobs: Any) -> Published | None:
    """The published manifest and predictor, or None when nothing was published yet."""
    try:
        raw, info = blobs.get(MANIFEST_KEY)
    except BlobNotFound:
        return None
    manifest = parse_manifest(raw)
    try:
        data, _ = blobs.get(manifest["pickle_key"])
    except BlobNotFound:
        raise ArtifactError(
            f"{MANIFEST_KEY} names {manifest['pickle_key']}, which is missing; retrain with "
            "`python -m models train`"
        ) from None
    return Published(manifest, load_predictor(data, manifest), info.etag)

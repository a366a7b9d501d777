"""The published model: a plain model file and its signed manifest in blobs, checked before use."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from core.errors import PulseboardError
from models import model_file, serve, signing
from models.features import FEATURES, TARGETS
from models.predict import Predictor
from storage.base import BlobInfo, BlobNotFound

PREFIX = "models/forecast/"
MANIFEST_KEY = PREFIX + "manifest.json"
KEEP_VERSIONS = 5
REQUIRED = ("version", "trained_at", "artifact_key", "sha256", "size_bytes", "features",
            "targets", "k", "horizons", "rates")
# Far above what they hold (a manifest is ~2 KB; a model file ~130 bytes a week, so 50 years
# are ~350 KB): nothing larger is downloaded, whatever a manifest says.
MAX_MANIFEST_BYTES = 64 * 1024
MAX_MODEL_BYTES = 4 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_VERSION = re.compile(r"[0-9]{8}T[0-9]{6}Z")
RETRAIN = model_file.RETRAIN


class ArtifactError(PulseboardError):
    """The published model cannot be used; the message says why and what to do."""


def artifact_key(version: str) -> str:
    return f"{PREFIX}{version}.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish(blobs: Any, predictor: Predictor, manifest: dict[str, Any],
            signing_key: str = "") -> dict[str, Any]:
    """Writes the model file, then the manifest naming it, its sha256 and size (signed when a key
    is given): the manifest goes last, so a reader never sees a manifest for a missing or
    half-written model. Returns the manifest as written; older model files are then pruned."""
    data = model_file.encode(predictor)
    if len(data) > MAX_MODEL_BYTES:
        raise ArtifactError(f"the model file would be {len(data)} bytes, over the "
                            f"{MAX_MODEL_BYTES} the API loads")
    key = artifact_key(manifest["version"])
    unsigned = {name: value for name, value in manifest.items() if name != signing.FIELD}
    written = {**unsigned, "artifact_key": key, "sha256": sha256(data), "size_bytes": len(data)}
    if signing_key:
        written = signing.sign(written, signing_key)
    blobs.put(key, data, "application/json")
    blobs.put(
        MANIFEST_KEY,
        json.dumps(written, indent=2, sort_keys=True).encode(),
        "application/json",
    )
    prune(blobs, keep=key)
    return written


def prune(blobs: Any, keep: str, versions: int = KEEP_VERSIONS) -> list[str]:
    """Deletes all but the newest `versions` model files (versions sort by time) and every pickle
    of the format before; never `keep`."""
    keys = [info.key for info in blobs.list(PREFIX) if info.key != MANIFEST_KEY]
    files = sorted((key for key in keys if key.endswith(".json")), reverse=True)
    gone = [key for key in files[versions:] + [k for k in keys if k.endswith(".pkl")]
            if key != keep]
    for key in gone:
        blobs.delete(key)
    return gone


def _check_fields(manifest: dict[str, Any]) -> str | None:
    """What is wrong with the manifest's fields, or None."""
    if not isinstance(manifest["version"], str) or not _VERSION.fullmatch(manifest["version"]):
        return "a version that is not YYYYMMDDTHHMMSSZ"
    if manifest["artifact_key"] != artifact_key(manifest["version"]):
        return f"a model file other than {artifact_key(manifest['version'])}"
    if not isinstance(manifest["sha256"], str) or not _SHA256.fullmatch(manifest["sha256"]):
        return "no sha256 of 64 hex digits"
    size = manifest["size_bytes"]
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_MODEL_BYTES:
        return f"a size that is not 1 to {MAX_MODEL_BYTES} bytes"
    features = manifest["features"]
    if not isinstance(features, list) or not all(
        isinstance(f, dict) and model_file.finite_number(f.get("min"))
        and model_file.finite_number(f.get("max")) for f in features
    ) or [f.get("name") for f in features] != list(FEATURES):
        return f"features other than {', '.join(FEATURES)} with their trained min and max"
    if manifest["targets"] != list(TARGETS):
        return f"targets other than {', '.join(TARGETS)}"
    if not isinstance(manifest["k"], int) or isinstance(manifest["k"], bool):
        return "a k that is not a whole number"
    return _check_serving(manifest["horizons"], manifest["rates"])


def _pair(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and all(map(model_file.finite_number,
                                                                    value))
            and value[0] <= value[1])


def _check_serving(horizons: Any, rates: Any) -> str | None:
    """What is wrong with what the API serves per horizon (method, reason, interval), or None."""
    wanted = [str(h) for h in serve.HORIZONS_WEEKS]
    if not isinstance(horizons, dict) or sorted(horizons, key=int) != wanted:
        return f"horizons other than {', '.join(wanted)} weeks"
    if not isinstance(rates, dict) or set(rates) != set(serve.BASELINES) or not all(
        isinstance(r, dict) and all(model_file.finite_number(r.get(t)) for t in TARGETS)
        for r in rates.values()
    ):
        return f"rates other than {', '.join(serve.BASELINES)} per target"
    for name, chosen in horizons.items():
        if not isinstance(chosen, dict) or chosen.get("method") not in ("model", *rates):
            return f"horizon {name} serving no known method"
        interval = chosen.get("interval")
        if not isinstance(chosen.get("reason"), str) or not isinstance(interval, dict) or not (
            model_file.finite_number(interval.get("level")) and 0 < interval["level"] < 1
            and all(_pair(interval.get(t)) for t in TARGETS)
        ):
            return f"horizon {name} without a reason and an interval [low, high] per target"
    return None



def parse_manifest(data: bytes, signing_key: str = "") -> dict[str, Any]:
    """The manifest, its every field checked (and its signature, when a key is given)."""
    try:
        manifest = json.loads(data, parse_constant=model_file.refuse_constant)
    except (ValueError, RecursionError):
        raise ArtifactError(f"{MANIFEST_KEY} is not JSON; {RETRAIN}") from None
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{MANIFEST_KEY} is not a JSON object; {RETRAIN}")
    if "pickle_key" in manifest:
        raise ArtifactError(f"{MANIFEST_KEY} names a pickle ({manifest['pickle_key']}), the "
                            f"format models are no longer loaded from; {RETRAIN}")
    missing = [name for name in REQUIRED if name not in manifest]
    if missing:
        raise ArtifactError(f"{MANIFEST_KEY} lacks {', '.join(missing)}; {RETRAIN}")
    wrong = _check_fields(manifest)
    if wrong:
        raise ArtifactError(f"{MANIFEST_KEY} has {wrong}; {RETRAIN}")
    if signing_key:
        try:
            signing.verify(manifest, signing_key)
        except ValueError as exc:
            raise ArtifactError(f"{MANIFEST_KEY} refused: {exc}") from None
    return manifest


def load_predictor(data: bytes, manifest: dict[str, Any]) -> Predictor:
    """Decodes `data` only when its size and sha256 are the manifest's, then checks the model
    against the manifest."""
    key = manifest["artifact_key"]
    digest = sha256(data)
    if len(data) != manifest["size_bytes"] or digest != manifest["sha256"]:
        raise ArtifactError(
            f"{key} has sha256 {digest[:12]}… ({len(data)} bytes), the manifest says "
            f"{manifest['sha256'][:12]}… ({manifest['size_bytes']} bytes): not loaded; {RETRAIN}"
        )
    try:
        predictor = model_file.decode(data)
    except ValueError as exc:
        raise ArtifactError(f"{key} is not a forecast model: {exc}") from None
    if list(predictor.feature_names) != [f["name"] for f in manifest["features"]]:
        raise ArtifactError(f"{key}: features differ from the manifest's; {RETRAIN}")
    if list(predictor.target_names) != list(manifest["targets"]) or predictor.k != manifest["k"]:
        raise ArtifactError(f"{key}: targets or k differ from the manifest's; {RETRAIN}")
    return predictor


@dataclass(frozen=True)
class Published:
    manifest: dict[str, Any]
    predictor: Predictor
    etag: str  # the manifest's: a new publication changes it


def _too_large(key: str, size_bytes: int, cap_bytes: int) -> ArtifactError:
    return ArtifactError(f"{key} is {size_bytes} bytes, over the {cap_bytes} it may be: not "
                         f"downloaded; {RETRAIN}")


def read(blobs: Any, signing_key: str = "", head: BlobInfo | None = None) -> Published | None:
    """The published manifest and predictor, or None when nothing was published yet.

    Every blob is HEADed before it is downloaded (the manifest's `head` may be given when the
    caller just made it): nothing larger than the manifest says, or than the caps, is fetched."""
    head = head or blobs.head(MANIFEST_KEY)
    if head is None:
        return None
    if head.size_bytes > MAX_MANIFEST_BYTES:
        raise _too_large(MANIFEST_KEY, head.size_bytes, MAX_MANIFEST_BYTES)
    try:
        raw, info = blobs.get(MANIFEST_KEY)
    except BlobNotFound:
        return None  # removed since the HEAD
    if len(raw) > MAX_MANIFEST_BYTES:  # replaced by a larger one since the HEAD
        raise _too_large(MANIFEST_KEY, len(raw), MAX_MANIFEST_BYTES)
    manifest = parse_manifest(raw, signing_key)
    key = manifest["artifact_key"]
    missing = ArtifactError(f"{MANIFEST_KEY} names {key}, which is missing; {RETRAIN}")
    model_head = blobs.head(key)
    if model_head is None:
        raise missing
    if model_head.size_bytes != manifest["size_bytes"]:
        raise ArtifactError(f"{key} is {model_head.size_bytes} bytes, the manifest says "
                            f"{manifest['size_bytes']}: not downloaded; {RETRAIN}")
    try:
        data, _ = blobs.get(key)
    except BlobNotFound:
        raise missing from None
    return Published(manifest, load_predictor(data, manifest), info.etag)

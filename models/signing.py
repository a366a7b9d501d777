"""The manifest's HMAC-SHA256 signature: only who holds PULSEBOARD_MODEL_KEY can publish a model."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

FIELD = "signature"
SCHEME = "hmac-sha256="


def _digest(manifest: dict[str, Any], key: str) -> str:
    # Everything but the signature, written one way only (sorted keys, no spaces, ASCII): the
    # reader recomputes the same bytes from the JSON it parsed. The manifest names the model
    # file's sha256 and size, so signing it signs the model too.
    body = {name: value for name, value in manifest.items() if name != FIELD}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                           allow_nan=False)
    return hmac.new(key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def sign(manifest: dict[str, Any], key: str) -> dict[str, Any]:
    """The manifest with its signature under `key`."""
    return {**manifest, FIELD: SCHEME + _digest(manifest, key)}


def verify(manifest: dict[str, Any], key: str) -> None:
    """Returns when the manifest is signed under `key`; ValueError saying why not otherwise."""
    given = manifest.get(FIELD)
    if given is None:
        raise ValueError("it is not signed, and this API only serves models signed with "
                         "PULSEBOARD_MODEL_KEY; retrain with the same key set")
    if not isinstance(given, str) or not given.startswith(SCHEME):
        raise ValueError(f"its signature is not {SCHEME}<hex>; retrain with PULSEBOARD_MODEL_KEY "
                         "set")
    if not hmac.compare_digest(given.removeprefix(SCHEME).encode(),
                               _digest(manifest, key).encode()):
        raise ValueError("its signature does not match PULSEBOARD_MODEL_KEY: it was not "
                         "published with this key; retrain with the key this API has")

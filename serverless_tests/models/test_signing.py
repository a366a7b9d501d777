"""The manifest's signature: made under the key, survives the JSON round trip, nothing else."""

from __future__ import annotations

import json

import pytest

from models import signing

MANIFEST = {"version": "20250106T040000Z", "sha256": "ab" * 32, "size_bytes": 9000,
            "cv_mae": {"weight_kg": 0.123456789, "fat_ratio_pct": 1e-7}, "k": 7,
            "features": [{"name": "distance_km", "min": 0.0, "max": 41.3}], "note": "é"}


def test_a_signed_manifest_verifies_after_being_written_and_read_back():
    signed = signing.sign(MANIFEST, "model-key")
    assert signed["signature"].startswith("hmac-sha256=") and len(signed["signature"]) == 76
    read_back = json.loads(json.dumps(signed, indent=2, sort_keys=True))
    signing.verify(read_back, "model-key")


def test_signing_twice_replaces_the_signature():
    once = signing.sign(MANIFEST, "model-key")
    assert signing.sign(once, "model-key") == once


@pytest.mark.parametrize(("manifest", "reason"), [
    (MANIFEST, "not signed"),
    ({**MANIFEST, "signature": "md5=abc"}, "not hmac-sha256="),
    ({**MANIFEST, "signature": 7}, "not hmac-sha256="),
    ({**signing.sign(MANIFEST, "model-key"), "k": 8}, "does not match"),
    ({**signing.sign(MANIFEST, "model-key"), "sha256": "cd" * 32}, "does not match"),
    (signing.sign(MANIFEST, "another-key"), "does not match"),
])
def test_anything_but_the_keys_own_signature_is_refused(manifest, reason):
    with pytest.raises(ValueError, match=reason):
        signing.verify(manifest, "model-key")

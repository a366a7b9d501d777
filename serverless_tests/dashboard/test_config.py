"""The dashboard's config: what it takes from settings, the signing key it insists on."""

from __future__ import annotations

import pytest

import settings
from dashboard.config import ConfigError, signing_key


def test_secret_key_required_outside_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSEBOARD_SECRET_KEY", raising=False)
    settings.reset()
    with pytest.raises(ConfigError, match="PULSEBOARD_SECRET_KEY"):
        signing_key(settings.get())
    monkeypatch.setenv("PULSEBOARD_DEMO", "true")
    settings.reset()
    assert len(signing_key(settings.get())) >= 32

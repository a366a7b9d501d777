"""Withings' config: read from the settings once, its secrets from the environment or SSM."""

from __future__ import annotations

from collectors.sources.withings.config import WithingsConfig
from serverless_tests.collectors.conftest import FakeSsm
from settings import Settings


def test_secrets_come_from_ssm_when_the_environment_has_none():
    current = Settings(withings_client_id="7", withings_url="http://127.0.0.1:1/w",
                       _secrets=FakeSsm(WITHINGS_CLIENT_SECRET="s", WITHINGS_REFRESH_TOKEN="r"))
    config = WithingsConfig.from_settings(current)
    assert (config.url, config.client_secret, config.refresh_token) == (
        "http://127.0.0.1:1/w", "s", "r")
    assert config.configured


def test_without_credentials_it_is_not_configured():
    assert not WithingsConfig.from_settings(Settings()).configured

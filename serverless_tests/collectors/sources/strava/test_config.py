"""Strava's config: read from the settings once, its secrets from the environment or SSM."""

from __future__ import annotations

import pytest

from collectors.sources.strava.config import StravaConfig
from serverless_tests.collectors.conftest import FakeSsm
from settings import Settings, SettingsError


def test_secrets_come_from_ssm_when_the_environment_has_none():
    current = Settings(strava_client_id="42", request_timeout_s=4.0,
                       _secrets=FakeSsm(STRAVA_CLIENT_SECRET="s3", STRAVA_REFRESH_TOKEN="r0"))
    config = StravaConfig.from_settings(current)
    assert (config.client_id, config.client_secret, config.refresh_token) == ("42", "s3", "r0")
    assert config.configured and config.timeout_s == 4.0
    assert "s3" not in repr(config) and "r0" not in repr(config)


def test_the_environment_wins_and_no_id_means_not_configured():
    current = Settings(strava_client_id="42", strava_client_secret="env",
                       _secrets=FakeSsm(STRAVA_CLIENT_SECRET="ssm"))
    assert StravaConfig.from_settings(current).client_secret == "env"
    assert not StravaConfig.from_settings(Settings(_secrets=FakeSsm())).configured


def test_a_client_id_without_its_secret_anywhere_says_how_to_add_it():
    current = Settings(strava_client_id="42", _secrets=FakeSsm())
    with pytest.raises(SettingsError, match="/pulseboard/STRAVA_CLIENT_SECRET"):
        StravaConfig.from_settings(current)

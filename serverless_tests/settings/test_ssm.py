"""settings/ssm.py: secrets from SSM Parameter Store (moto), asked for explicitly, fetched once,
the environment wins, one-line errors."""

from __future__ import annotations

import json
import stat
import uuid

import boto3
import pytest

import settings
from settings import SettingsError


@pytest.fixture
def prefix(aws: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh parameter path on the moto server, with the settings pointed at it."""
    path = f"/pulseboard-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PULSEBOARD_SSM_PREFIX", path)
    settings.reset()
    return path


def put(prefix: str, name: str, value: str) -> None:
    client = boto3.client("ssm", region_name="eu-west-1")
    client.put_parameter(Name=f"{prefix}/{name}", Value=value, Type="SecureString")


def test_secrets_come_from_ssm_lazily_and_once(prefix: str) -> None:
    put(prefix, "SECRET_KEY", "signing-key-from-ssm")
    put(prefix, "API_KEY", "api-key-from-ssm")
    current = settings.get()
    source = object.__getattribute__(current, "_secrets")
    assert source.calls == 0, "settings must not call AWS before a secret is read"
    assert current.secret_key == ""  # a field is the environment's value: reading it asks no one
    assert source.calls == 0
    assert current.secret("secret_key") == "signing-key-from-ssm"
    assert current.secret("api_key") == "api-key-from-ssm"
    assert current.secret("secret_key") == "signing-key-from-ssm"
    assert source.calls == 1
    assert "signing-key-from-ssm" not in repr(current)


def test_a_variable_that_is_set_wins(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    put(prefix, "SECRET_KEY", "from-ssm")
    monkeypatch.setenv("PULSEBOARD_SECRET_KEY", "from-env")
    settings.reset()
    assert settings.get().secret("secret_key") == "from-env"


def test_missing_required_secret_is_one_clear_line(prefix: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings.get().secret("secret_key")
    message = str(caught.value)
    assert f"{prefix}/SECRET_KEY" in message and "put-parameter" in message
    assert "\n" not in message


def test_optional_secrets_read_empty(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    current = settings.get()
    assert current.secret("api_key") == "" and current.secret("strava_refresh_token") == ""
    # A client secret is needed only once its provider is configured.
    assert current.secret("strava_client_secret") == ""
    monkeypatch.setenv("PULSEBOARD_STRAVA_CLIENT_ID", "12345")
    settings.reset()
    with pytest.raises(SettingsError, match=f"{prefix}/STRAVA_CLIENT_SECRET"):
        settings.get().secret("strava_client_secret")
    with pytest.raises(KeyError, match="not a secret setting"):
        settings.get().secret("user")


def test_google_credentials_become_a_private_file(prefix: str) -> None:
    account = {"type": "service_account", "client_email": "reader@example.iam"}
    put(prefix, "GOOGLE_CREDENTIALS", json.dumps(account))
    assert settings.get().google_credentials is None  # the environment names no file
    path = settings.get().google_credentials_file()
    assert path is not None and json.loads(path.read_text()) == account
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_describe_does_not_fetch(prefix: str) -> None:
    shown = dict(settings.describe())
    assert shown["secret_key"] == f"(SSM {prefix}/SECRET_KEY)"
    assert object.__getattribute__(settings.get(), "_secrets").calls == 0


def test_unreachable_ssm_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSEBOARD_SSM_PREFIX", "/pulseboard")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    settings.reset()
    with pytest.raises(SettingsError) as caught:
        settings.get().secret("secret_key")
    assert "cannot read SSM parameters under /pulseboard" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("bad", ["pulseboard", "/", "/a//b"])
def test_bad_prefix(bad: str) -> None:
    with pytest.raises(SettingsError, match="PULSEBOARD_SSM_PREFIX"):
        settings.load({"PULSEBOARD_SSM_PREFIX": bad})

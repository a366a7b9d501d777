"""settings.py: laptop defaults, and one clear line for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

import settings
from settings import SettingsError, load


def test_laptop_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    current = load({})
    assert current.data_dir == Path("var")
    assert current.store_url == "sqlite:///var/pulseboard.db"
    assert current.blobs_url == "file://var/blobs"
    assert current.strava_url == "https://www.strava.com/api/v3"
    assert (tmp_path / "var").is_dir()
    assert current.assets_url == ""  # the dashboard serves its own scripts


def test_assets_url_is_a_base() -> None:
    current = load({"PULSEBOARD_ASSETS_URL": " https://b.s3.eu-west-1.amazonaws.com/v1/static/ "})
    assert current.assets_url == "https://b.s3.eu-west-1.amazonaws.com/v1/static"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PULSEBOARD_STORE": "mysql://x"}, "STORE='mysql://x': unknown URL scheme 'mysql'"),
        ({"PULSEBOARD_STORE": "dynamodb://"}, "PULSEBOARD_STORE='dynamodb://': no table name"),
        ({"PULSEBOARD_BLOBS": "gs://b"}, "PULSEBOARD_BLOBS='gs://b': unknown URL scheme 'gs'"),
        ({"PULSEBOARD_BLOBS": "s3://"}, "PULSEBOARD_BLOBS='s3://': no bucket name"),
        ({"PULSEBOARD_DEMO": "maybe"}, "PULSEBOARD_DEMO='maybe': expected true or false"),
        ({"PULSEBOARD_REQUEST_TIMEOUT_S": "-1"}, "must be greater than 0"),
        ({"PULSEBOARD_REQUEST_TIMEOUT_S": "soon"}, "'soon': not a number"),
        ({"PULSEBOARD_STRAVA_URL": "strava.com"}, "STRAVA_URL='strava.com': not an http"),
        ({"PULSEBOARD_GOOGLE_CREDENTIALS": "/nope/sa.json"}, "no readable service-account file"),
        ({"PULSEBOARD_USER": "a#b"}, "PULSEBOARD_USER='a#b'"),
        ({"PULSEBOARD_ASSETS_URL": "static.example"}, "ASSETS_URL='static.example': not an http"),
        ({"PULSEBOARD_ASSETS_URL": "https://s.example/v1?x=1"}, "takes no ?query or #fragment"),
    ],
)
def test_bad_values_say_which_setting_and_why(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(env)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(SettingsError, match="PULSEBOARD_DATA_DIR=.*cannot create it"):
        load({"PULSEBOARD_DATA_DIR": str(tmp_path / "file" / "var")})


def test_read_once_and_secrets_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSEBOARD_API_KEY", "s3cret")
    settings.reset()
    first = settings.get()
    monkeypatch.setenv("PULSEBOARD_API_KEY", "changed")
    assert settings.get() is first and first.api_key == "s3cret"
    shown = dict(settings.describe())
    assert shown["api_key"] == "***" and "s3cret" not in repr(first)


def test_an_env_file_fills_what_the_environment_leaves_unset(tmp_path: Path) -> None:
    env_file = tmp_path / "pulseboard.env"
    env_file.write_text(
        "# my laptop\n"
        "export PULSEBOARD_USER=ann\n"
        "PULSEBOARD_SHEETS_RANGE='Log!A:F'\n"
        'PULSEBOARD_STRAVA_CLIENT_ID="123"  \n'
        "PULSEBOARD_SHEETS_ID=abc # the lifting log\n"
        "\n"
    )
    env = {"PULSEBOARD_ENV_FILE": str(env_file), "PULSEBOARD_USER": "bob",
           "PULSEBOARD_DATA_DIR": str(tmp_path / "var")}
    current = load(settings.with_env_file(env))
    assert current.user == "bob"  # a variable that is set wins over the file
    assert current.sheets_range == "Log!A:F"
    assert current.strava_client_id == "123"
    assert current.sheets_id == "abc"


def test_no_env_file_is_fine_and_a_bad_line_is_named(tmp_path: Path) -> None:
    assert settings.read_env_file(tmp_path / "missing.env") == {}
    bad = tmp_path / "bad.env"
    bad.write_text("PULSEBOARD_USER=ann\nPULSBOARD_SHEETS_ID=typo\n")
    with pytest.raises(SettingsError, match=r"bad.env:2: expected PULSEBOARD_NAME=value"):
        settings.read_env_file(bad)


def test_zone_and_units_settings(tmp_path: Path) -> None:
    base = {"PULSEBOARD_DATA_DIR": str(tmp_path)}
    chosen = settings.load({**base, "PULSEBOARD_TIMEZONE": "America/Los_Angeles",
                            "PULSEBOARD_UNITS": "Imperial", "PULSEBOARD_SHEETS_WEIGHT_UNIT": "lb"})
    assert (chosen.timezone, chosen.units, chosen.sheets_weight_unit) == \
        ("America/Los_Angeles", "imperial", "lb")
    assert not chosen.timezone_defaulted
    cloud = settings.load({**base, "AWS_LAMBDA_FUNCTION_NAME": "pulseboard-dashboard"})
    assert (cloud.timezone, cloud.timezone_defaulted) == ("UTC", True)
    laptop = settings.load({**base, "TZ": "Asia/Kolkata"})
    assert (laptop.timezone, laptop.timezone_defaulted) == ("Asia/Kolkata", False)
    with pytest.raises(settings.SettingsError, match="PULSEBOARD_TIMEZONE.*Mars/Base"):
        settings.load({**base, "PULSEBOARD_TIMEZONE": "Mars/Base"})
    with pytest.raises(settings.SettingsError, match="PULSEBOARD_UNITS='furlongs'.*metric"):
        settings.load({**base, "PULSEBOARD_UNITS": "furlongs"})

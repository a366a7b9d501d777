"""Reads the environment once; only the edges (a CLI's main, a Lambda handler, an app factory)
ask it (`settings.get()`) and pass small typed configs down."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from core import localtime
from core.errors import UsageError

PREFIX = "PULSEBOARD_"
ORIGIN = re.compile(r"https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?/?")

STRAVA_URL_DEFAULT = "https://www.strava.com/api/v3"
WITHINGS_URL_DEFAULT = "https://wbsapi.withings.net"
SHEETS_URL_DEFAULT = "https://sheets.googleapis.com"


class SettingsError(UsageError, ValueError):
    """A setting is missing or wrong; the message names it and says why, on one line."""


@dataclass(frozen=True)
class Aws:
    """Where boto3 clients go (boto3 reads the credentials itself)."""

    region: str = "eu-west-1"
    endpoint_url: str = ""


# Secrets that may live in SSM Parameter Store instead of the environment: with
# PULSEBOARD_SSM_PREFIX=/pulseboard, PULSEBOARD_SECRET_KEY is the SecureString
# /pulseboard/SECRET_KEY.
# A variable that is set wins. Each maps to the setting that makes it required when read
# ("" = always required, None = optional: it reads as "" when absent).
SSM_SECRETS: dict[str, str | None] = {
    "secret_key": "",
    "strava_client_secret": "strava_client_id",
    "withings_client_secret": "withings_client_id",
    "api_key": None,
    "model_key": None,
    "strava_refresh_token": None,
    "withings_refresh_token": None,
    # Strava's webhook validation echoes it; without it the api answers no challenge.
    "strava_verify_token": None,
}
# The Sheets service-account JSON may be a parameter too; it is written to a private file.
SSM_GOOGLE_CREDENTIALS = "GOOGLE_CREDENTIALS"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    store_url: str = ""
    blobs_url: str = ""
    user: str = "me"
    demo: bool = False
    request_timeout_s: float = 10.0
    # providers
    strava_url: str = STRAVA_URL_DEFAULT
    strava_client_id: str = ""
    strava_client_secret: str = field(default="", repr=False)
    strava_refresh_token: str = field(default="", repr=False)
    strava_verify_token: str = field(default="", repr=False)
    withings_url: str = WITHINGS_URL_DEFAULT
    withings_client_id: str = ""
    withings_client_secret: str = field(default="", repr=False)
    withings_refresh_token: str = field(default="", repr=False)
    sheets_url: str = SHEETS_URL_DEFAULT
    google_credentials: Path | None = None
    sheets_id: str = ""
    sheets_range: str = "Log!A:E"
    # serving
    api_url: str = "http://127.0.0.1:8051"
    api_key: str = field(default="", repr=False)
    # Signs the model manifest (HMAC-SHA256): with it set, the API serves only models published
    # by who holds it, so write access to the bucket alone cannot publish one.
    model_key: str = field(default="", repr=False)
    # The owner's explicit choice to train the forecaster on activities only Strava's API gave,
    # which Strava's API agreement forbids by default (files and exports are always used).
    forecast_use_strava_api: bool = False
    secret_key: str = field(default="", repr=False)
    # Where the dashboard's browser code is fetched from: "" = this server (laptop); in the cloud
    # a public base that `make publish-assets` filled, since Lambda answers at most 6 MB.
    assets_url: str = ""
    # Sites allowed to frame the dashboard (`?embed=1`), besides the dashboard itself: origins
    # such as https://notes.example.com, for its Content-Security-Policy frame-ancestors.
    embed_origins: tuple[str, ...] = ()
    # The running page's base map: "osm" (OpenStreetMap's tiles, fetched by the browser) or
    # "white" (no tile server is ever asked: private, offline).
    map_style: str = "osm"
    # What people see: the owner's IANA zone (calendar days, weeks, clocks) and units.
    timezone: str = "UTC"
    # True when PULSEBOARD_TIMEZONE was unset in the cloud and UTC stands in for it.
    timezone_defaulted: bool = False
    units: str = "metric"
    # The unit the lifting sheet's weights are written in (a `weight_lb` header says lb itself).
    sheets_weight_unit: str = "kg"
    # AWS (boto3 reads credentials itself; these pick the endpoint and region)
    aws_endpoint_url: str = ""
    aws_region: str = "eu-west-1"
    ssm_prefix: str = ""
    # Where SSM secrets come from (settings.ssm.SsmSecrets), made when ssm_prefix is set.
    _secrets: Any = field(default=None, repr=False, compare=False)

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def aws(self) -> Aws:
        return Aws(self.aws_region, self.aws_endpoint_url)

    def secret(self, name: str) -> str:
        """A secret setting (one of SSM_SECRETS): the environment's value, else Parameter
        Store's (one request reads them all); "" when optional and absent, SettingsError when
        required and absent."""
        if name not in SSM_SECRETS:
            raise KeyError(f"{name!r} is not a secret setting")
        value: str = getattr(self, name)
        if value or self._secrets is None:
            return value  # without SSM, a required one is checked where it is used
        return str(_from_ssm(self, name, self._secrets))

    def google_credentials_file(self) -> Path | None:
        """The service-account file: the environment's path, else Parameter Store's JSON written
        to a private file in the data dir; None when there is neither."""
        if self.google_credentials is not None or self._secrets is None:
            return self.google_credentials
        found = _from_ssm(self, "google_credentials", self._secrets)
        return found if isinstance(found, Path) else None


def _env(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(PREFIX + name, default).strip()


def _url(name: str, value: str, schemes: tuple[str, ...], example: str) -> str:
    scheme = urlparse(value).scheme
    if scheme not in schemes:
        raise SettingsError(
            f"{PREFIX}{name}={value!r}: unknown URL scheme {scheme!r}; use {example}"
        )
    return value


def _http(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"{PREFIX}{name}={value!r}: not an http(s) URL")
    return value.rstrip("/")


def _base_url(name: str, value: str) -> str:
    """An optional http(s) base that paths are appended to ("" when unset)."""
    if not value:
        return ""
    parsed = urlparse(value)
    if parsed.query or parsed.fragment:
        raise SettingsError(f"{PREFIX}{name}={value!r}: a base URL takes no ?query or #fragment")
    return _http(name, value)


def _origins(name: str, value: str) -> tuple[str, ...]:
    """Origins (scheme://host[:port], nothing after) separated by commas or spaces; each goes
    into a header as written, so nothing but a host name's characters is let through."""
    found = []
    for origin in value.replace(",", " ").split():
        if not ORIGIN.fullmatch(origin):
            raise SettingsError(f"{PREFIX}{name}: {origin!r} is not an origin; write it as "
                                "https://host or https://host:port")
        found.append(origin.rstrip("/").lower())
    return tuple(found)


def _bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("", "0", "false", "no", "off"):
        return False
    if lowered in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{PREFIX}{name}={value!r}: expected true or false")


def _positive(name: str, value: str, default: float) -> float:
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name}={value!r}: not a number") from None
    if not number > 0:
        raise SettingsError(f"{PREFIX}{name}={value!r}: must be greater than 0")
    return number


def _writable_dir(name: str, path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"{PREFIX}{name}={str(path)!r}: cannot create it ({exc.strerror})"
        ) from None
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise SettingsError(f"{PREFIX}{name}={str(path)!r}: not readable and writable")
    return path


def _from_ssm(current: Settings, name: str, source: Any) -> Any:
    """A secret read from Parameter Store on first use (one request fetches them all)."""
    from settings.ssm import SecretsError

    key = SSM_GOOGLE_CREDENTIALS if name == "google_credentials" else name.upper()
    try:
        value = source.get(key)
    except SecretsError as exc:
        raise SettingsError(f"{PREFIX}SSM_PREFIX={source.prefix!r}: {exc}") from None
    if name == "google_credentials":
        if value is None:
            return None
        path = current.data_dir / "google-credentials.json"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(value)
        return path
    if value is not None:
        return value.strip()
    needed_by = SSM_SECRETS[name]
    if needed_by is None or (needed_by and not getattr(current, needed_by)):
        return ""
    raise SettingsError(
        f"{PREFIX}{key} is not set and SSM has no parameter {source.path(key)}; create it: "
        f"aws ssm put-parameter --type SecureString --name {source.path(key)} --value '…'"
    )


ENV_FILE_KEYS = (PREFIX, "AWS_")


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=value` lines of an optional `.env` file (`export `, quotes and `#` comments allowed);
    only Pulseboard's and AWS's variables, so a typo is named rather than silently ignored."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read it ({exc})") from None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.startswith(ENV_FILE_KEYS) or not name.replace("_", "").isalnum():
            raise SettingsError(
                f"{path}:{number}: expected PULSEBOARD_NAME=value (or AWS_…=value), got "
                f"{line[:60]!r}"
            )
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[name] = value
    return values


def with_env_file(env: Mapping[str, str]) -> dict[str, str]:
    """The environment with `.env` (or PULSEBOARD_ENV_FILE) under it: a variable that is set
    wins over the file."""
    path = Path(env.get(PREFIX + "ENV_FILE", "").strip() or ".env")
    return {**read_env_file(path), **env}


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Builds and checks settings from an environment (the process's by default)."""
    env = with_env_file(os.environ) if env is None else env
    data_dir = _writable_dir("DATA_DIR", Path(_env(env, "DATA_DIR", "var")))
    store_url = _url(
        "STORE",
        _env(env, "STORE") or f"sqlite:///{data_dir / 'pulseboard.db'}",
        ("sqlite", "dynamodb"),
        "sqlite:///path/to/file.db or dynamodb://table",
    )
    if store_url.startswith("sqlite:"):
        db_path = Path(store_url.removeprefix("sqlite:///").removeprefix("sqlite://"))
        _writable_dir("STORE", db_path.parent if str(db_path.parent) else Path("."))
    elif not urlparse(store_url).netloc:
        raise SettingsError(f"{PREFIX}STORE={store_url!r}: no table name (dynamodb://table)")
    blobs_url = _url(
        "BLOBS",
        _env(env, "BLOBS") or f"file://{data_dir / 'blobs'}",
        ("file", "s3"),
        "file://path/to/dir or s3://bucket/prefix",
    )
    if blobs_url.startswith("s3:") and not urlparse(blobs_url).netloc:
        raise SettingsError(f"{PREFIX}BLOBS={blobs_url!r}: no bucket name (s3://bucket/prefix)")
    credentials = _env(env, "GOOGLE_CREDENTIALS")
    credentials_path = Path(credentials) if credentials else None
    if credentials_path is not None and not os.access(credentials_path, os.R_OK):
        raise SettingsError(
            f"{PREFIX}GOOGLE_CREDENTIALS={credentials!r}: no readable service-account file there"
        )
    user = _env(env, "USER", "me")
    if not user or "#" in user:
        raise SettingsError(f"{PREFIX}USER={user!r}: must be non-empty and contain no '#'")
    return Settings(
        data_dir=data_dir,
        store_url=store_url,
        blobs_url=blobs_url,
        user=user,
        demo=_bool("DEMO", _env(env, "DEMO")),
        request_timeout_s=_positive("REQUEST_TIMEOUT_S", _env(env, "REQUEST_TIMEOUT_S"), 10.0),
        strava_url=_http("STRAVA_URL", _env(env, "STRAVA_URL", STRAVA_URL_DEFAULT)),
        strava_client_id=_env(env, "STRAVA_CLIENT_ID"),
        strava_client_secret=_env(env, "STRAVA_CLIENT_SECRET"),
        strava_refresh_token=_env(env, "STRAVA_REFRESH_TOKEN"),
        strava_verify_token=_env(env, "STRAVA_VERIFY_TOKEN"),
        withings_url=_http("WITHINGS_URL", _env(env, "WITHINGS_URL", WITHINGS_URL_DEFAULT)),
        withings_client_id=_env(env, "WITHINGS_CLIENT_ID"),
        withings_client_secret=_env(env, "WITHINGS_CLIENT_SECRET"),
        withings_refresh_token=_env(env, "WITHINGS_REFRESH_TOKEN"),
        sheets_url=_http("SHEETS_URL", _env(env, "SHEETS_URL", SHEETS_URL_DEFAULT)),
        google_credentials=credentials_path,
        sheets_id=_env(env, "SHEETS_ID"),
        sheets_range=_env(env, "SHEETS_RANGE", "Log!A:E"),
        api_url=_http("API_URL", _env(env, "API_URL", "http://127.0.0.1:8051")),
        api_key=_env(env, "API_KEY"),
        model_key=_env(env, "MODEL_KEY"),
        forecast_use_strava_api=_bool("FORECAST_USE_STRAVA_API",
                                      _env(env, "FORECAST_USE_STRAVA_API")),
        secret_key=_env(env, "SECRET_KEY"),
        assets_url=_base_url("ASSETS_URL", _env(env, "ASSETS_URL")),
        embed_origins=_origins("EMBED_ORIGINS", _env(env, "EMBED_ORIGINS")),
        map_style=_choice("MAP_STYLE", _env(env, "MAP_STYLE", "osm"), ("osm", "white")),
        **_zone(env),
        units=_choice("UNITS", _env(env, "UNITS", "metric"), ("metric", "imperial")),
        sheets_weight_unit=_choice("SHEETS_WEIGHT_UNIT", _env(env, "SHEETS_WEIGHT_UNIT", "kg"),
                                   ("kg", "lb")),
        aws_endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip(),
        aws_region=(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-1").strip(),
        **_ssm(env),
    )


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    value = value.strip().lower()
    if value not in allowed:
        raise SettingsError(f"{PREFIX}{name}={value!r}: use one of {', '.join(allowed)}")
    return value


def _zone(env: Mapping[str, str]) -> dict[str, Any]:
    """The owner's zone: PULSEBOARD_TIMEZONE; unset, the laptop's own zone (TZ, else
    /etc/localtime), or in the cloud UTC with `timezone_defaulted` so the overview says so."""
    name = _env(env, "TIMEZONE")
    if name:
        try:
            return {"timezone": localtime.zone(name).key}
        except localtime.ZoneError as exc:
            raise SettingsError(f"{PREFIX}TIMEZONE: {exc}") from None
    if env.get("AWS_LAMBDA_FUNCTION_NAME"):
        return {"timezone": "UTC", "timezone_defaulted": True}
    system = (env.get("TZ") or "").strip().lstrip(":")
    if system:
        try:
            return {"timezone": localtime.zone(system).key}
        except localtime.ZoneError:
            pass
    return {"timezone": localtime.system_zone_name() or "UTC"}


def _ssm(env: Mapping[str, str]) -> dict[str, Any]:
    prefix = _env(env, "SSM_PREFIX")
    if not prefix:
        return {}
    if not prefix.startswith("/") or prefix == "/" or "//" in prefix:
        raise SettingsError(f"{PREFIX}SSM_PREFIX={prefix!r}: expected a path such as /pulseboard")
    # Made now, used lazily: no AWS request until a secret is first read.
    from settings.ssm import SsmSecrets

    return {
        "ssm_prefix": prefix.rstrip("/"),
        "_secrets": SsmSecrets(
            prefix,
            region=(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-1").strip(),
            endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip(),
        ),
    }


@lru_cache(maxsize=1)
def get() -> Settings:
    """The process's settings, read once."""
    return load()


def reset() -> None:
    """Forgets the cached settings (tests that change the environment call this)."""
    get.cache_clear()


def describe() -> list[tuple[str, str]]:
    """(setting, value) pairs for status output, secrets masked."""
    current = get()
    out = []
    for f in fields(current):
        if f.name.startswith("_"):
            continue
        value = getattr(current, f.name)  # the environment's: describing fetches no secret
        if not f.repr and not value and current.ssm_prefix and f.name in SSM_SECRETS:
            shown = f"(SSM {current.ssm_prefix}/{f.name.upper()})"
        else:
            shown = "***" if (not f.repr and value) else str(value)
        out.append((f.name, shown))
    return out

"""The dashboard's typed configuration: read from settings once by `create_app`, passed down."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import flask

from core.errors import UsageError

if TYPE_CHECKING:
    from settings import Settings
    from storage import AwsConfig

# Where create_app keeps the config on the Flask app, so a callback finds it in any request.
CONFIG_KEY = "PULSEBOARD_DASHBOARD"
# OpenStreetMap's own tile server; its usage policy asks for the attribution the map shows.
OSM_TILE_ORIGIN = "https://tile.openstreetmap.org"
OSM_TILES = OSM_TILE_ORIGIN + "/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"


class ConfigError(UsageError):
    """The dashboard cannot start with these settings; the message says which and what to do."""


@dataclass(frozen=True)
class DashboardConfig:
    store_url: str
    user: str = "me"
    aws: AwsConfig | None = None
    secret_key: str = field(default="", repr=False)
    api_url: str = "http://127.0.0.1:8051"
    api_key: str = field(default="", repr=False)
    # "" = this server serves the browser code; else the public base `make publish-assets` filled.
    assets_url: str = ""
    # Sites besides this one that may frame the dashboard (`?embed=1`).
    embed_origins: tuple[str, ...] = ()
    # What a viewer sees until they choose their own (PULSEBOARD_UNITS, PULSEBOARD_TIMEZONE).
    units: str = "metric"
    timezone: str = "UTC"
    # True when no zone was set and the cloud's UTC stands in: the overview says so.
    timezone_defaulted: bool = False
    # The running page's base map (PULSEBOARD_MAP_STYLE, "osm" by default there): "osm" or
    # "white" (no tile server). A config built by hand asks nothing of another site.
    map_style: str = "white"

    @property
    def tile_origin(self) -> str:
        """The one tile server the browser may ask ("" for the white map): the CSP allows it."""
        return OSM_TILE_ORIGIN if self.map_style == "osm" else ""


def signing_key(current: Settings) -> str:
    """The key login sessions are signed with (the environment's, else SSM's)."""
    key = current.secret("secret_key")
    if key:
        return key
    if current.demo:
        return _demo_key()
    raise ConfigError(
        "PULSEBOARD_SECRET_KEY is not set: the dashboard signs login sessions with it. "
        "Set it to a long random string, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
    )


def from_settings(current: Settings) -> DashboardConfig:
    """The dashboard's share of the settings, secrets resolved now (at the edge, once)."""
    return DashboardConfig(
        store_url=current.store_url,
        user=current.user,
        aws=current.aws,
        secret_key=signing_key(current),
        api_url=current.api_url,
        api_key=current.secret("api_key"),
        assets_url=current.assets_url,
        embed_origins=current.embed_origins,
        units=getattr(current, "units", "metric"),
        timezone=getattr(current, "timezone", "UTC"),
        timezone_defaulted=getattr(current, "timezone_defaulted", False),
        map_style=current.map_style,
    )


@functools.cache
def _demo_key() -> str:
    # One per process: sessions end when a demo process stops, acceptable for a demo only.
    return secrets.token_urlsafe(32)


def current() -> DashboardConfig:
    """The config of the app answering this request."""
    return cast(DashboardConfig, flask.current_app.config[CONFIG_KEY])

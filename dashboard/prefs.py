"""The viewer's units and time zone: their own choice (kept with the user), else the defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import flask

from core import localtime
from core.units import UNITS, Units

_G_KEY = "pulseboard_prefs"


@dataclass(frozen=True)
class Prefs:
    units: Units = "metric"
    tz: ZoneInfo = localtime.UTC_ZONE
    # Body weight in stones and pounds (imperial only); every other weight stays in lb.
    stone: bool = False

    @property
    def zone_name(self) -> str:
        return self.tz.key


def resolve(record: dict[str, Any] | None, default_units: str, default_zone: str) -> Prefs:
    """A user's record's choice over the defaults; a choice the code no longer knows (a zone
    renamed in tzdata, hand-edited units) falls back rather than breaking every page."""
    record = record or {}
    units = record.get("units") if record.get("units") in UNITS else default_units
    if units not in UNITS:
        units = "metric"
    try:
        tz = localtime.zone(record.get("timezone") or default_zone)
    except localtime.ZoneError:
        tz = localtime.zone(default_zone) if _known(default_zone) else localtime.UTC_ZONE
    stone = units == "imperial" and bool(record.get("weight_in_stone"))
    return Prefs(units=units, tz=tz, stone=stone)  # type: ignore[arg-type]


def _known(name: str) -> bool:
    try:
        localtime.zone(name)
    except localtime.ZoneError:
        return False
    return True


def current_prefs() -> Prefs:
    """The signed-in user's units and zone, else the dashboard's configured defaults; outside
    a request (a pure test, a CLI) metric and UTC. Read once per request."""
    if not flask.has_app_context():
        return Prefs()
    if flask.has_request_context() and _G_KEY in flask.g:
        return flask.g.get(_G_KEY)
    from dashboard import config  # lazily: prefs is imported by logic modules under test

    try:
        current = config.current()
    except KeyError:
        return Prefs()
    prefs = resolve(_user_record(), getattr(current, "units", "metric"),
                    getattr(current, "timezone", "UTC"))
    if flask.has_request_context():
        flask.g.setdefault(_G_KEY, prefs)
    return prefs


def choose(units: str | None, timezone: str | None, stone: bool | None = None) -> Prefs:
    """Keeps the signed-in user's own units and zone (None: unchanged, "": the default; `stone`
    body weight in stones and pounds) and answers the prefs now in force; a bad choice raises
    with what to use instead."""
    import flask_login

    from dashboard import data
    from dashboard.auth import sessions, users

    user = flask_login.current_user
    if user is None or not user.is_authenticated:
        raise users.UserError("sign in first: units and zone are kept with the user")
    users.set_prefs(data.store(), user.id, units=units, timezone=timezone, stone=stone)
    sessions._forget(user.id)
    flask.g.pop(_G_KEY, None)
    return current_prefs()


def _user_record() -> dict[str, Any] | None:
    if not flask.has_request_context():
        return None
    import flask_login

    from dashboard.auth import sessions

    user = flask_login.current_user
    if user is None or not user.is_authenticated:
        return None
    # The sessions cache: Dash's many callbacks per page do not each cost a store read.
    return sessions._record(user.id)

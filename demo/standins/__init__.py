"""Loopback stand-ins for the Strava, Withings and Google Sheets APIs, serving an athlete."""

from demo.standins.faults import SOURCES, Faults
from demo.standins.google import GOOGLE_ACCESS_S, SHEETS_PER_MINUTE
from demo.standins.http import Request
from demo.standins.server import StandIns
from demo.standins.strava import STRAVA_ACCESS_S, STRAVA_LIMITS, STRAVA_READ_LIMITS
from demo.standins.withings import WITHINGS_ACCESS_S, WITHINGS_PER_MINUTE

__all__ = [
    "GOOGLE_ACCESS_S",
    "SHEETS_PER_MINUTE",
    "SOURCES",
    "STRAVA_ACCESS_S",
    "STRAVA_LIMITS",
    "STRAVA_READ_LIMITS",
    "WITHINGS_ACCESS_S",
    "WITHINGS_PER_MINUTE",
    "Faults",
    "Request",
    "StandIns",
]

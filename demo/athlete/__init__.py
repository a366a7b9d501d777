"""The one synthetic athlete of the demo, the tests, the bench and the trials."""

from demo.athlete.athlete import FIRST_ACTIVITY_ID, Athlete, StreamBook
from demo.athlete.body import DEMO_BODY, RESPONSIVE, WITHINGS_TYPES, Body
from demo.athlete.clock import TIMEZONE, start_epoch
from demo.athlete.lifting import CROSSFIT, SHEET_HEADER, Lift, Programme
from demo.athlete.plan import Plan, Week, periodised, varied
from demo.athlete.routes import CITY, Route, routes
from demo.athlete.runs import RUN_SPORTS, STREAM_TYPES, StreamPlan
from demo.athlete.runs import make_activity as _make_activity  # demo.athlete_files' name
from demo.athlete.runs import streams_for as _streams_for  # demo.athlete_files' name

__all__ = [
    "CITY",
    "CROSSFIT",
    "DEMO_BODY",
    "FIRST_ACTIVITY_ID",
    "RESPONSIVE",
    "RUN_SPORTS",
    "SHEET_HEADER",
    "STREAM_TYPES",
    "TIMEZONE",
    "WITHINGS_TYPES",
    "Athlete",
    "Body",
    "Lift",
    "Plan",
    "Programme",
    "Route",
    "StreamBook",
    "StreamPlan",
    "Week",
    "_make_activity",
    "_streams_for",
    "periodised",
    "routes",
    "start_epoch",
    "varied",
]

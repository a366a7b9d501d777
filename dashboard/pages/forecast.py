"""Forecast page: a weekly training plan in (the owner's units), two plans' paths out, from the
API, after the last 12 weeks of the actual trend, with their 80 % bands and the goal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask_login
from dash import Input, Output, State, dcc, html

from core import localtime
from dashboard import config, data, prefs
from dashboard.logic import body, forecast, goal, plans
from models import features

dash.register_page(__name__, path="/forecast", title="Forecast · Pulseboard", name="Forecast",
                   description="Projected weight and fat ratio for a weekly training plan, beside "
                               "your last 4 weeks', from the forecast model.", order=4)

INPUTS = tuple((name, text, quantity, default, step)
               for name, text, quantity, default, step in plans.FORM)
PROVENANCE = (
    "Strava's API agreement forbids using what its API gives for training AI or machine-"
    "learning models. The forecaster therefore learns only from activities that also came from "
    "your own files or your Strava export (import them on the Activity files page or drop them "
    "in the inbox); activities only Strava's API gave are left out, unless you, the owner, set "
    "PULSEBOARD_FORECAST_USE_STRAVA_API=true. `python -m models train` prints how many "
    "activities each source gave."
)


def layout(**_query: Any) -> Any:
    # The same for everyone (it may be served as a static file): the viewer's units reach the
    # form's labels and defaults through `units_of_form`.
    fields = [
        dbc.Col([dbc.Label(plans.label(name, text, quantity, "metric"), html_for=f"forecast-{name}",
                           id=f"forecast-{name}-label"),
                 dbc.Input(id=f"forecast-{name}", type="number", min=0, step=step,
                           value=default)],
                xs=12, sm=6, lg=2)
        for name, text, quantity, default, step in INPUTS
    ]
    fields.append(dcc.Store(id="forecast-loaded", data=0))
    fields.append(dbc.Col(dbc.Button("Forecast", id="forecast-run", color="primary",
                                     className="mt-4 w-100"), xs=12, lg=2))
    return html.Div([
        html.H2("Forecast", className="page-title"),
        html.P("What would this week-in, week-out plan do to your weight and fat ratio, beside "
               "carrying on as in your last 4 weeks?", className="muted"),
        dbc.Row(fields, className="g-2 controls"),
        dbc.Spinner(html.Div(id="forecast-message"), color="primary"),
        dcc.Graph(id="forecast-graph"),
        html.Div(id="forecast-model", className="muted"),
        html.P(PROVENANCE, className="muted small mt-2", id="forecast-provenance"),
    ])


@dash.callback(
    *[Output(f"forecast-{name}-label", "children") for name, *_ in INPUTS],
    *[Output(f"forecast-{name}", "value") for name, *_ in INPUTS],
    Input("forecast-loaded", "data"),
)
def units_of_form(_loaded: Any) -> Any:
    unit = prefs.current_prefs().units
    return (*[plans.label(name, text, quantity, unit) for name, text, quantity, *_ in INPUTS],
            *[plans.to_form(name, default, quantity, unit)
              for name, _text, quantity, default, _step in INPUTS])


def _recent_weeks(store: Any, today: Any) -> list[features.Week]:
    # What the owner did lately, whatever brought it: describing is not training.
    since = features.monday(today) - timedelta(weeks=plans.RECENT_WEEKS + 1)
    weights = [(m.time, m.value) for m in data.query(store, "measurements", "weight_kg", since)]
    fats = [(m.time, m.value) for m in data.query(store, "measurements", "fat_ratio_pct", since)]
    return features.build_weeks(weights, fats, data.query(store, "activities", "", since),
                                data.query(store, "lift_sets", "", since), today,
                                config=features.ForecastConfig(use_strava_api=True))


def _history(store: Any, tz: Any) -> dict[str, dict[Any, float]]:
    since = data.now_utc() - timedelta(weeks=plans.HISTORY_WEEKS, days=body.WARM_UP_DAYS)
    points = {kind: [(m.time, m.value) for m in data.query(store, "measurements", kind, since)]
              for kind in ("weight_kg", "fat_ratio_pct")}
    built = body.build(points["weight_kg"], points["fat_ratio_pct"], tz)
    return {"weight_kg": built.weight_trend, "fat_ratio_pct": built.fat_ratio_trend}


def _user() -> str:
    user = flask_login.current_user
    return str(user.id) if user is not None and user.is_authenticated else ""


def run(values: dict[str, Any], session: Any = None) -> tuple[Any, Any, str]:
    """(figure, message component, model line) for one set of inputs."""
    viewer = prefs.current_prefs()
    params, problem = forecast.validate(plans.from_form(values, viewer.units))
    if problem:
        return (forecast.empty_figure(problem), dbc.Alert(problem, color="warning",
                                                          id="forecast-alert"), "")
    current = config.current()
    answer = forecast.fetch(current.api_url, current.api_key, params, session=session)
    if not answer.ok or answer.data is None:
        return (forecast.empty_figure("No forecast to draw."),
                dbc.Alert(answer.message, color="danger", id="forecast-alert"), "")
    store = data.store()
    today = localtime.local_date(data.now_utc(), viewer.tz)
    weeks = int(params["weeks"])
    answers = {plans.THIS_PLAN: answer.data}
    lines = [html.Div(f"Expected change: {plans.summary(answer.data, weeks, viewer.units)}")]
    recent = plans.recent_plan(_recent_weeks(store, data.now_utc().date()))
    if recent is not None:
        other = forecast.fetch(current.api_url, current.api_key, {**recent, "weeks": weeks},
                               session=session)
        if other.ok and other.data is not None:
            answers[plans.RECENT] = other.data
            lines.append(html.Div(f"As in your last {plans.RECENT_WEEKS} weeks: "
                                  f"{plans.summary(other.data, weeks, viewer.units)}"))
        else:
            lines.append(html.Div(f"Your last {plans.RECENT_WEEKS} weeks: {other.message}"))
    if answer.data.get("reason"):
        lines.append(html.Div(f"Served: {answer.data.get('method')} ({answer.data['reason']})",
                              className="small"))
    figure = plans.figure(answers, _history(store, viewer.tz), weeks, viewer.units, today,
                          goal.read(store, _user()))
    return (figure, dbc.Alert(lines, color="info", id="forecast-result"),
            forecast.model_summary(answer.data, viewer.units, viewer.tz))


@dash.callback(
    Output("forecast-graph", "figure"), Output("forecast-message", "children"),
    Output("forecast-model", "children"),
    Input("forecast-run", "n_clicks"),
    *[State(f"forecast-{name}", "value") for name, *_ in INPUTS],
)
def update(_clicks: int | None, *values: Any) -> Any:
    return run(dict(zip([name for name, *_ in INPUTS], values, strict=True)))

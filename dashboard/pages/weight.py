"""Weight page: any body measurement with rolling mean, trend and weekly changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask_login
from dash import Input, Output, State, dcc, html

from core import localtime, units
from dashboard import data, prefs
from dashboard.logic import body, entry, goal, inputs, trend, weight
from dashboard.logic.common import empty_dict
from storage import MEASUREMENT_TYPES

dash.register_page(__name__, path="/weight", title="Weight · Pulseboard", name="Weight",
                   description="Weight, fat ratio and other body measurements: raw points, "
                               "rolling mean, trend and weekly change.", order=1)


WINDOWS_DAYS = (7, 14, 30, 90)


def layout(**_query: Any) -> Any:
    today = data.now_utc().date()
    return html.Div([
        html.H2("Weight & body composition", className="page-title"),
        dbc.Row([
            dbc.Col([dbc.Label("Measurement"), dcc.Dropdown(
                id="weight-metric", clearable=False, value="weight_kg",
                options=weight.options(MEASUREMENT_TYPES))],
                xs=12, md=4),
            dbc.Col([dbc.Label("Dates"), html.Br(), dcc.DatePickerRange(
                id="weight-range",
                start_date=(today - timedelta(days=365)).isoformat(),
                end_date=today.isoformat(),
                display_format="YYYY-MM-DD")], xs=12, md=5),
            dbc.Col([dbc.Label("Rolling mean"), dcc.Dropdown(
                id="weight-window", clearable=False, value=7,
                options=[{"label": f"{d} days", "value": d} for d in WINDOWS_DAYS])],
                xs=12, md=3),
        ], className="g-2 controls"),
        html.H4("Trend", className="mt-3"),
        html.Div(id="weight-body-summary", className="summary"),
        html.P(id="weight-goal-text", className="lead"),
        dcc.Graph(id="weight-trend", config={"displaylogo": False}),
        dcc.Graph(id="weight-composition", config={"displaylogo": False}),
        goal_form(),
        html.H4("Any measurement", className="mt-3"),
        html.Div(id="weight-summary", className="summary"),
        dcc.Graph(id="weight-graph", config={"displaylogo": False}),
        dcc.Graph(id="weight-weekly", config={"displaylogo": False}),
    ])


def goal_form() -> Any:
    # Labelled in kg here, for everyone (the layout may be a static file); goal_units() puts the
    # viewer's own unit in.
    return dbc.Row([
        dbc.Col([dbc.Label("Goal"), dcc.Dropdown(
            id="weight-goal-target", clearable=False, value="weight_kg",
            options=goal_options("metric"))], xs=12, md=3),
        dbc.Col([dbc.Label("Value"), dbc.Input(id="weight-goal-value", type="number",
                                               step=0.1, min=0)], xs=6, lg=2),
        dbc.Col([dbc.Label("By (optional)"), dbc.Input(id="weight-goal-by", type="date")],
                xs=6, md=3),
        dbc.Col([dbc.Button("Save goal", id="weight-goal-save", color="primary",
                            className="mt-4 me-2"),
                 dbc.Button("Clear", id="weight-goal-clear", color="secondary",
                            outline=True, className="mt-4")], xs=12, md=4),
        html.Div(id="weight-goal-status", className="muted"),
        dcc.Store(id="weight-goal-saved"),
    ], className="g-2 controls mt-2")


GOALS = goal.SPACE


def goal_options(unit: str) -> list[dict[str, str]]:
    return [{"label": f"weight ({units.label('weight', unit)})", "value": "weight_kg"},
            {"label": "fat ratio (%)", "value": "fat_ratio_pct"}]


@dash.callback(Output("weight-goal-target", "options"), Input("weight-goal-saved", "id"))
def goal_units(_id: Any) -> Any:
    return goal_options(prefs.current_prefs().units)


@dash.callback(Output("weight-metric", "options"), Input("weight-metric", "id"))
def metric_units(_id: Any) -> Any:
    """The Measurement labels in the viewer's units (the layout's are metric: it may be static)."""
    return weight.options(MEASUREMENT_TYPES, prefs.current_prefs().units)


def _user() -> str:
    user = flask_login.current_user
    return str(user.id) if user is not None and user.is_authenticated else ""


def _goal() -> goal.Goal | None:
    return goal.read(data.store(), _user())


@dash.callback(
    Output("weight-goal-status", "children"), Output("weight-goal-saved", "data"),
    Input("weight-goal-save", "n_clicks"), Input("weight-goal-clear", "n_clicks"),
    State("weight-goal-target", "value"), State("weight-goal-value", "value"),
    State("weight-goal-by", "value"), prevent_initial_call=True,
)
def save_goal(_save: Any, _clear: Any, target: Any, value: Any, by: Any) -> Any:
    name = _user()
    if not name:
        return "Sign in to keep a goal.", dash.no_update
    store = data.store()
    doc = store.get_doc(GOALS, name)
    version = doc.version if doc is not None else 0
    if dash.ctx.triggered_id == "weight-goal-clear":
        store.put_doc(GOALS, name, {}, expected_version=version)
        return "Goal cleared.", {"cleared": version}
    unit = prefs.current_prefs().units
    try:
        if target == "weight_kg" and value not in (None, ""):
            value = units.from_display(float(value), "weight", unit)
        made = goal.make(str(target), value, by, today=data.now_utc().date())
    except (goal.GoalError, ValueError, TypeError) as exc:
        return f"Not saved: {exc}.", dash.no_update
    if not store.put_doc(GOALS, name, made.to_record(), expected_version=version):
        return "Not saved: the goal was changed meanwhile; try again.", dash.no_update
    return "Goal saved.", made.to_record()


@dash.callback(
    Output("weight-trend", "figure"), Output("weight-composition", "figure"),
    Output("weight-body-summary", "children"), Output("weight-goal-text", "children"),
    Input("weight-range", "start_date"), Input("weight-range", "end_date"),
    Input("weight-goal-saved", "data"), Input("app-data-version", "data"),
)
def update_body(start: Any, end: Any, _saved: Any, _v: Any) -> Any:
    viewer = prefs.current_prefs()
    try:
        # Weigh-ins are instants: the picked days are the viewer's local days.
        first, _last = inputs.day_range(start, end)
        low, high = data.local_day_bounds(start, end, viewer.tz)
    except inputs.InputError as exc:
        return empty_dict(str(exc)), empty_dict(str(exc)), "", str(exc)
    store = data.store()
    # The trend needs a few weeks behind the first day shown to settle.
    warm = None if low is None else low - timedelta(days=body.WARM_UP_DAYS)
    rows_of = {kind: data.query(store, "measurements", kind, warm, high)
               for kind in ("weight_kg", "fat_ratio_pct")}
    points = {kind: [(m.time, m.value) for m in rows] for kind, rows in rows_of.items()}
    built = body.build(points["weight_kg"], points["fat_ratio_pct"], viewer.tz)
    typed = trend.daily_means([(m.time, m.value) for m in rows_of["weight_kg"]
                               if m.source == entry.SOURCE], viewer.tz)
    kept = _goal()
    today = localtime.local_date(data.now_utc(), viewer.tz)
    rows = [html.Span([html.Span(name + " ", className="muted"), html.B(value)],
                      style={"display": "inline-block", "marginRight": "1.5rem"})
            for name, value in body.summary(built, viewer.units, viewer.stone)]
    return (body.trend_figure(built, viewer.units, first, kept, typed),
            body.composition_figure(built, viewer.units, first), rows,
            body.goal_text(kept, built, viewer.units, today))


@dash.callback(
    Output("weight-graph", "figure"), Output("weight-weekly", "figure"),
    Output("weight-summary", "children"),
    Input("weight-metric", "value"), Input("weight-range", "start_date"),
    Input("weight-range", "end_date"), Input("weight-window", "value"),
    Input("app-data-version", "data"),
)
def update(kind: Any, start: Any, end: Any, window: Any, _v: Any) -> Any:
    try:
        kind = inputs.one_of(kind, MEASUREMENT_TYPES, "measurement")
        window_days = inputs.one_of(7 if window is None else window, WINDOWS_DAYS, "rolling mean")
        viewer = prefs.current_prefs()
        low, high = data.local_day_bounds(start, end, viewer.tz)
    except inputs.InputError as exc:
        return empty_dict(str(exc)), empty_dict(str(exc)), str(exc)
    store = data.store()

    def draw() -> tuple[Any, Any, str]:
        frame = data.measurements(store, kind, low, high)
        return weight.figures(frame, kind, int(window_days), viewer.units, viewer.tz,
                              viewer.stone)

    # One drawing per view asked for while the data version stands.
    return data.remembered(store, ("weight-graph", kind, str(low), str(high), int(window_days),
                                   viewer.units, viewer.zone_name, viewer.stone), draw)

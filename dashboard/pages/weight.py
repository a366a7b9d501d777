"""Weight page: any body measurement with rolling mean, trend and weekly changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboard import data
from dashboard.logic import inputs, weight
from dashboard.logic.common import empty_figure
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
                options=[{"label": weight.label(k), "value": k} for k in MEASUREMENT_TYPES])],
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
        html.Div(id="weight-summary", className="summary"),
        dcc.Graph(id="weight-graph", config={"displaylogo": False}),
        dcc.Graph(id="weight-weekly", config={"displaylogo": False}),
    ])


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
        low, high = data.day_bounds(start, end)
    except inputs.InputError as exc:
        return empty_figure(str(exc)), empty_figure(str(exc)), str(exc)
    frame = data.measurements(data.store(), kind, low, high)
    return weight.figures(frame, kind, int(window_days))

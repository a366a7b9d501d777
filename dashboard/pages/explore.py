"""Explore page: one numeric field of any dataset in six linked views."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard import data
from dashboard.logic import explore, inputs
from dashboard.logic.common import empty_figure
from storage import MEASUREMENT_TYPES

dash.register_page(__name__, path="/explore", title="Explore · Pulseboard", name="Explore",
                   description="Any numeric field of any dataset: scatter with top 10, bar, "
                               "line, box, histogram and pie, linked by selection.", order=5)

VIEWS = ("scatter", "top", "line", "box", "hist", "pie")


def layout(**_query: Any) -> Any:
    return html.Div([
        html.H2("Explore", className="page-title"),
        dbc.Row([
            dbc.Col([dbc.Label("Dataset"), dcc.Dropdown(
                id="explore-dataset", clearable=False, value="activities",
                options=[{"label": v, "value": k} for k, v in explore.DATASETS.items()])],
                xs=12, md=4),
            dbc.Col([dbc.Label("Field"), dcc.Dropdown(id="explore-field", clearable=False)],
                    xs=6, md=4),
            dbc.Col([dbc.Label("Against"), dcc.Dropdown(id="explore-other", clearable=False)],
                    xs=6, md=4),
        ], className="g-2 controls"),
        html.P("Drag a box on the scatter to narrow the other views to those points.",
               className="muted"),
        dbc.Row([dbc.Col(dcc.Graph(id=f"explore-{v}"), xs=12, md=6, xl=4) for v in VIEWS],
                className="g-2"),
    ])


def table(dataset: str) -> pd.DataFrame:
    store = data.store()
    if dataset == "activities":
        return explore.activities_table(data.activities(store))
    if dataset == "lift_sets":
        return explore.lifts_table(data.lift_sets(store))
    return explore.measurements_table({k: data.measurements(store, k) for k in MEASUREMENT_TYPES})


@dash.callback(
    Output("explore-field", "options"), Output("explore-field", "value"),
    Output("explore-other", "options"), Output("explore-other", "value"),
    Input("explore-dataset", "value"),
    State("explore-field", "value"), State("explore-other", "value"),
)
def fields(dataset: Any, field: Any, other: Any) -> Any:
    try:
        dataset = inputs.one_of(dataset, explore.DATASETS, "dataset")
    except inputs.InputError:
        return [], None, [], None
    names = explore.numeric_fields(table(dataset), dataset)
    options = [{"label": explore.label(n), "value": n} for n in names]
    field = field if field in names else (names[0] if names else None)
    other = other if other in names else (names[1] if len(names) > 1 else field)
    return options, field, options, other


@dash.callback(
    *[Output(f"explore-{v}", "figure") for v in VIEWS],
    Input("explore-field", "value"), Input("explore-other", "value"),
    Input("explore-scatter", "selectedData"), Input("app-data-version", "data"),
    State("explore-dataset", "value"),
)
def update(field: Any, other: Any, selection: Any, _v: Any, dataset: Any) -> Any:
    try:
        dataset = inputs.one_of(dataset, explore.DATASETS, "dataset")
        field, other = inputs.text(field, "field"), inputs.text(other, "against")
    except inputs.InputError as exc:
        return (empty_figure(str(exc), 280),) * len(VIEWS)
    if dash.ctx.triggered_id in ("explore-field", "explore-other"):
        selection = None  # a new field starts from all points
    figs = explore.views(table(dataset), dataset, field, other,
                         explore.selected_indices(selection))
    out = [figs[v] for v in VIEWS]
    if dash.ctx.triggered_id == "explore-scatter":
        out[0] = dash.no_update  # keep the reader's selection box on the scatter
    return tuple(out)

"""Explore page: one numeric field of any dataset in six linked views."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard import data
from dashboard.logic import explore, inputs
from dashboard.logic.common import empty_dict
from dashboard.prefs import Prefs, current_prefs
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


def _fields(dataset: str, store: Any = None,
            prefs: Prefs | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The dataset's table in the viewer's units and clock, and its numeric fields; kept while
    the data version stands."""
    store = store or data.store()
    prefs = prefs or current_prefs()

    def build() -> tuple[pd.DataFrame, list[str]]:
        if dataset == "activities":
            rows = explore.activities_table(data.activities(store), prefs.units, prefs.tz)
        elif dataset == "lift_sets":
            rows = explore.lifts_table(data.lift_sets(store), prefs.units)
        else:
            rows = explore.measurements_table(
                {k: data.measurements(store, k) for k in MEASUREMENT_TYPES}, prefs.units,
                prefs.tz)
        return rows, explore.numeric_fields(rows, dataset)

    return data.remembered(store, ("explore-table", dataset, prefs.units, prefs.zone_name), build)


def _chosen(names: list[str], field: Any, other: Any) -> tuple[str | None, str | None]:
    """The field and the one it is plotted against: the reader's, else the first two."""
    field = field if field in names else (names[0] if names else None)
    other = other if other in names else (names[1] if len(names) > 1 else field)
    return field, other


def all_points(dataset: str, field: Any, other: Any, store: Any = None,
               prefs: Prefs | None = None) -> tuple[list[str], str | None, str | None, Any]:
    """The dataset's fields, the field and its partner chosen, and their six views of all
    points: the same until a sync lands, so kept while the data version stands."""
    store = store or data.store()
    prefs = prefs or current_prefs()
    rows, names = _fields(dataset, store, prefs)
    field, other = _chosen(names, field, other)
    figs = data.remembered(
        store, ("explore-views", dataset, field, other, prefs.units, prefs.zone_name),
        lambda: explore.views(rows, dataset, field, other))
    return names, field, other, figs


@data.warms("/explore")
def first_reads(store: Any, prefs: Prefs) -> list[Any]:
    """What the page's first view makes: the activities' fields and views of all points."""
    return [lambda: all_points("activities", None, None, store, prefs)]


# One callback for the whole page, so a view is one request (each would be a Lambda invocation,
# and the second waited for the first's answer): the field lists and the six views together.
@dash.callback(
    Output("explore-field", "options"), Output("explore-field", "value"),
    Output("explore-other", "options"), Output("explore-other", "value"),
    *[Output(f"explore-{v}", "figure") for v in VIEWS],
    Input("explore-dataset", "value"), Input("explore-field", "value"),
    Input("explore-other", "value"), Input("explore-scatter", "selectedData"),
    Input("app-data-version", "data"),
)
def update(dataset: Any, field: Any, other: Any, selection: Any, _v: Any) -> Any:
    trigger = dash.ctx.triggered_id
    try:
        dataset = inputs.one_of(dataset, explore.DATASETS, "dataset")
        field = None if field is None else inputs.text(field, "field")
        other = None if other is None else inputs.text(other, "against")
    except inputs.InputError as exc:
        return [], None, [], None, *(empty_dict(str(exc), 280),) * len(VIEWS)
    if trigger != "explore-scatter":
        selection = None  # a new dataset or field starts from all points
    selected = explore.selected_indices(selection)
    if selected is None:
        names, field, other, figs = all_points(dataset, field, other)
    else:
        rows, names = _fields(dataset)
        field, other = _chosen(names, field, other)
        figs = explore.views(rows, dataset, field, other, selected)
    out: list[Any] = [figs[v] for v in VIEWS]
    if trigger == "explore-scatter":
        out[0] = dash.no_update  # keep the reader's selection box on the scatter
    options: Any = [{"label": explore.label(n), "value": n} for n in names]
    if trigger in ("explore-field", "explore-other", "explore-scatter"):
        options = dash.no_update  # the dataset did not change: neither did its fields
    return options, field, options, other, *out

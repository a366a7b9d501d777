"""Crossfit page: progress per exercise from the lifting log."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard import data, prefs
from dashboard.logic import body, crossfit, inputs, strength
from dashboard.logic.common import empty_dict

dash.register_page(__name__, path="/crossfit", title="Crossfit · Pulseboard", name="Crossfit",
                   description="Per exercise: max weight, reps, weight per rep, estimated 1RM.",
                   order=3)


def layout(**_query: Any) -> Any:
    return html.Div([
        html.H2("Crossfit", className="page-title"),
        dbc.Row([dbc.Col([dbc.Label("Exercise"), dcc.Dropdown(id="crossfit-exercise",
                                                               clearable=False)], xs=12, md=5)],
                className="controls"),
        html.P(strength.FORMULA, className="muted", id="crossfit-formula"),
        dcc.Graph(id="crossfit-e1rm"),
        html.H4("Personal records", className="mt-2"),
        html.Div(id="crossfit-prs"),
        dbc.Row([
            dbc.Col(dcc.Graph(id="crossfit-progress"), xs=12, lg=6),
            dbc.Col(dcc.Graph(id="crossfit-scatter"), xs=12, lg=6),
            dbc.Col(dcc.Graph(id="crossfit-volume"), xs=12, lg=6),
        ], className="g-2"),
    ])


@dash.callback(
    Output("crossfit-exercise", "options"), Output("crossfit-exercise", "value"),
    Input("app-data-version", "data"), State("crossfit-exercise", "value"),
)
def exercises(_v: Any, current: str | None) -> Any:
    store = data.store()

    def count() -> list[tuple[str, int]]:
        sets = _sets(store)
        return [] if sets.empty else list(sets["exercise"].value_counts().items())

    counts = data.remembered(store, ("crossfit-exercises",), count)
    if not counts:
        return [], None
    names = [n for n, _ in counts]
    return [{"label": f"{n} ({c} sets)", "value": n} for n, c in counts], (
        current if current in names else names[0])


def _sets(store: Any) -> Any:
    """The lifting log as a table, made once per data version (not on every view)."""
    return data.remembered(store, ("crossfit-sets",), lambda: data.lift_sets(store))


@dash.callback(
    Output("crossfit-progress", "figure"), Output("crossfit-e1rm", "figure"),
    Output("crossfit-scatter", "figure"), Output("crossfit-volume", "figure"),
    Input("crossfit-exercise", "value"), Input("app-data-version", "data"),
)
def update(exercise: Any, _v: Any) -> Any:
    try:
        exercise = inputs.text(exercise, "exercise")
    except inputs.InputError as exc:
        return (empty_dict(str(exc)),) * 4
    unit = prefs.current_prefs().units
    store = data.store()

    def draw() -> tuple[Any, ...]:
        figs = crossfit.figures(_sets(store), exercise, unit)
        lifts = data.query(store, "lift_sets")
        e1rm = strength.e1rm_figure(strength.sessions(lifts, exercise), exercise, unit)
        return figs["progress"], e1rm, figs["scatter"], figs["volume"]

    # Sheet dates have no zone: the figures depend on the exercise and units only.
    return data.remembered(store, ("crossfit-figures", exercise, unit), draw)


@dash.callback(Output("crossfit-prs", "children"), Input("app-data-version", "data"))
def prs(_v: Any) -> Any:
    store = data.store()
    viewer = prefs.current_prefs()
    weights = [(m.time, m.value) for m in data.query(store, "measurements", "weight_kg")]
    bodyweight = body.build(weights, [], viewer.tz).weight_trend
    rows = strength.pr_table(data.query(store, "lift_sets"), bodyweight, viewer.units)
    if not rows:
        return html.P(crossfit.EMPTY, className="muted")
    header = list(rows[0])
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                      html.Tbody([html.Tr([html.Td(r[h]) for h in header]) for r in rows])],
                     id="crossfit-pr-table", bordered=False, hover=True, size="sm",
                     responsive=True)

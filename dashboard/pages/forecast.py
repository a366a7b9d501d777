"""Forecast page: weekly training plan in, projected weight and fat ratio out (via the API)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard import config, data
from dashboard.logic import forecast

dash.register_page(__name__, path="/forecast", title="Forecast · Pulseboard", name="Forecast",
                   description="Projected weight and fat ratio for a weekly training plan, from "
                               "the forecast model.", order=4)

INPUTS = (
    ("distance_km", "Running distance per week (km)", 25, 1),
    ("duration_h", "Running time per week (h)", 2.5, 0.5),
    ("crossfit_sessions", "Lifting sessions per week", 3, 1),
    ("avg_weight_kg", "Average weight lifted (kg)", 40, 5),
    ("weeks", "Horizon (weeks)", 12, 1),
)


def layout(**_query: Any) -> Any:
    fields = [
        dbc.Col([dbc.Label(text, html_for=f"forecast-{name}"),
                 dbc.Input(id=f"forecast-{name}", type="number", value=value, step=step, min=0)],
                xs=12, sm=6, lg=2)
        for name, text, value, step in INPUTS
    ]
    fields.append(dbc.Col(dbc.Button("Forecast", id="forecast-run", color="primary",
                                     className="mt-4 w-100"), xs=12, lg=2))
    return html.Div([
        html.H2("Forecast", className="page-title"),
        html.P("What would this week-in, week-out plan do to your weight and fat ratio?",
               className="muted"),
        dbc.Row(fields, className="g-2 controls"),
        dbc.Spinner(html.Div(id="forecast-message"), color="primary"),
        dcc.Graph(id="forecast-graph"),
        html.Div(id="forecast-model", className="muted"),
    ])


def run(values: dict[str, Any], session: Any = None) -> tuple[Any, Any, str]:
    """(figure, message component, model line) for one set of inputs."""
    params, problem = forecast.validate(values)
    if problem:
        return (forecast.empty_figure(problem), dbc.Alert(problem, color="warning",
                                                          id="forecast-alert"), "")
    current = config.current()
    answer = forecast.fetch(current.api_url, current.api_key, params, session=session)
    if not answer.ok or answer.data is None:
        return (forecast.empty_figure("No forecast to draw."),
                dbc.Alert(answer.message, color="danger", id="forecast-alert"), "")
    store = data.store()
    latest = {}
    for kind in ("weight_kg", "fat_ratio_pct"):
        found = data.latest(store, "measurements", kind, 1)
        latest[kind] = found[0].value if found else None
    per_week = answer.data.get("per_week", {})
    units = {"weight_kg": ("weight", "kg"), "fat_ratio_pct": ("fat ratio", "%")}
    summary = ", ".join(f"{units.get(k, (k, ''))[0]} {float(v):+.2f} {units.get(k, ('', ''))[1]}"
                        "/week" for k, v in per_week.items() if isinstance(v, int | float))
    return (forecast.path_figure(answer.data, latest),
            dbc.Alert(f"Expected change: {summary}", color="info", id="forecast-result"),
            forecast.model_summary(answer.data))


@dash.callback(
    Output("forecast-graph", "figure"), Output("forecast-message", "children"),
    Output("forecast-model", "children"),
    Input("forecast-run", "n_clicks"),
    *[State(f"forecast-{name}", "value") for name, *_ in INPUTS],
)
def update(_clicks: int | None, *values: Any) -> Any:
    return run(dict(zip([name for name, *_ in INPUTS], values, strict=True)))

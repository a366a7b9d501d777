"""Manual entry page (the owner's): a weigh-in or a lifting set typed in, listed, edited and
deleted; stored with source `manual`, which no sync writes over."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask_login
from dash import Input, Output, State, dcc, html

from core import localtime
from dashboard import data, prefs
from dashboard.logic import entry
from storage.records import iso_utc

dash.register_page(__name__, path="/entry", title="Add data · Pulseboard", name="Add data",
                   order=7, description="Type in a weigh-in (for a scale Pulseboard does not "
                                        "read) or a lifting set; the owner's only.")

OWNER_ONLY = "Only the owner adds, edits and deletes entries."


def _owner() -> bool:
    return bool(getattr(flask_login.current_user, "can_change", False))


def layout(**_query: Any) -> Any:
    # The same for everyone (it may be served as a static file): units come from a callback.
    return html.Div([
        html.H2("Add data", className="page-title"),
        html.P("Entries typed here are stored with source “manual”: a sync never writes over "
               "or deletes them. Pick one in the list to edit or delete it.", className="muted"),
        dcc.Store(id="entry-loaded", data=0),
        html.H4("Weigh-in"),
        dbc.Row([
            dbc.Col([dbc.Label("Date"), dbc.Input(id="entry-w-date", type="date")], xs=12, md=3),
            dbc.Col([dbc.Label("Time"), dbc.Input(id="entry-w-time", type="time",
                                                  value="07:00")], xs=12, lg=2),
            dbc.Col([dbc.Label("Weight", id="entry-w-weight-label"),
                     dbc.Input(id="entry-w-weight", type="number", step=0.1, min=0)], xs=12, md=3),
            dbc.Col([dbc.Label("Fat ratio (%, optional)"),
                     dbc.Input(id="entry-w-fat", type="number", step=0.1, min=0)], xs=12, lg=2),
            dbc.Col(dbc.Button("Save weigh-in", id="entry-w-save", color="primary",
                               className="mt-4 w-100"), xs=12, lg=2),
        ], className="g-2 controls"),
        html.H4("Lifting set", className="mt-3"),
        dbc.Row([
            dbc.Col([dbc.Label("Date"), dbc.Input(id="entry-s-date", type="date")], xs=12, md=3),
            dbc.Col([dbc.Label("Exercise"), dbc.Input(id="entry-s-exercise",
                                                      maxLength=entry.MAX_EXERCISE_CHARS)],
                    xs=12, md=3),
            dbc.Col([dbc.Label("Reps"), dbc.Input(id="entry-s-reps", type="number", min=1,
                                                  step=1)], xs=12, lg=2),
            dbc.Col([dbc.Label("Weight", id="entry-s-weight-label"),
                     dbc.Input(id="entry-s-weight", type="number", step=0.5, min=0)], xs=12, lg=2),
            dbc.Col(dbc.Button("Save set", id="entry-s-save", color="primary",
                               className="mt-4 w-100"), xs=12, lg=2),
        ], className="g-2 controls"),
        html.Div([
            html.Div(dcc.Dropdown(id="entry-pick", placeholder="an entry to edit or delete"),
                     style={"minWidth": "22rem"}),
            dbc.Button("Delete", id="entry-delete", color="secondary", size="sm"),
            html.Span(id="entry-message", className="muted", role="status"),
        ], style={"display": "flex", "gap": ".75rem", "alignItems": "center",
                  "flexWrap": "wrap", "margin": ".75rem 0"}),
        html.Div(id="entry-list"),
    ])


@dash.callback(Output("entry-w-weight-label", "children"),
               Output("entry-s-weight-label", "children"), Input("entry-loaded", "data"))
def labels(_loaded: Any) -> Any:
    from core import units

    unit = prefs.current_prefs().units
    return (f"Weight ({units.label('weight', unit)})",
            f"Weight ({units.label('lifted', unit)})")


def _records(store: Any) -> tuple[list[Any], list[Any]]:
    since = entry.since(data.now_utc())
    measurements = [m for kind in ("weight_kg", "fat_ratio_pct")
                    for m in store.query("measurements", kind, start=since)]
    return measurements, list(store.query("lift_sets", start=since.date()))


def _listing(store: Any) -> tuple[Any, list[dict[str, str]]]:
    viewer = prefs.current_prefs()
    rows = entry.entries(*_records(store), viewer.units, viewer.tz)
    if not rows:
        return html.P("No manual entries yet.", className="muted"), []
    table = dbc.Table([html.Thead(html.Tr([html.Th("when"), html.Th("entry"),
                                           html.Th("source")])),
                       html.Tbody([html.Tr([html.Td(r["when"]), html.Td(r["entry"]),
                                            html.Td(r["source"])]) for r in rows])],
                      id="entry-table", size="sm", hover=True, responsive=True)
    return table, [{"label": f"{r['when']} · {r['entry']}", "value": r["key"]} for r in rows]


def _remove(store: Any, key: str) -> None:
    measurements, _ = _records(store)
    for kind, keys in entry.keys_of(key, measurements).items():
        if kind == "lift_sets":
            store.delete("lift_sets", keys)
        else:
            store.delete("measurements", keys, kind)


@dash.callback(
    Output("entry-list", "children"), Output("entry-pick", "options"),
    Output("entry-pick", "value"), Output("entry-message", "children"),
    Input("entry-loaded", "data"), Input("entry-w-save", "n_clicks"),
    Input("entry-s-save", "n_clicks"), Input("entry-delete", "n_clicks"),
    State("entry-pick", "value"),
    State("entry-w-date", "value"), State("entry-w-time", "value"),
    State("entry-w-weight", "value"), State("entry-w-fat", "value"),
    State("entry-s-date", "value"), State("entry-s-exercise", "value"),
    State("entry-s-reps", "value"), State("entry-s-weight", "value"),
)
def act(_loaded: Any, _w: Any, _s: Any, _d: Any, picked: Any, w_date: Any, w_time: Any,
        w_weight: Any, w_fat: Any, s_date: Any, s_exercise: Any, s_reps: Any,
        s_weight: Any) -> Any:
    if not _owner():
        return html.P(OWNER_ONLY, className="muted"), [], None, OWNER_ONLY
    store = data.store()
    viewer = prefs.current_prefs()
    now = data.now_utc()
    trigger = dash.ctx.triggered_id
    message = ""
    try:
        # Saving with an entry picked replaces it: that is how an entry is edited.
        if trigger == "entry-w-save":
            records = entry.weighin(w_date, w_time, w_weight, w_fat, viewer.units, viewer.tz, now)
            if picked:
                _remove(store, str(picked))
            store.put(records)
            message = "Weigh-in saved" + (" (replacing the one picked)." if picked else ".")
        elif trigger == "entry-s-save":
            day = localtime.local_date(now, viewer.tz)
            if picked:
                _remove(store, str(picked))
            _, sets = _records(store)
            taken = {s.set_index for s in sets if entry.is_manual_set(s)
                     and str(s.date) == str(s_date)[:10]
                     and s.exercise.casefold() == " ".join(str(s_exercise or "").split())
                     .casefold()}
            store.put([entry.lift_set(s_date, s_exercise, s_reps, s_weight, viewer.units, day,
                                      taken)])
            message = "Set saved" + (" (replacing the one picked)." if picked else ".")
        elif trigger == "entry-delete":
            if not picked:
                raise entry.EntryError("pick an entry to delete")
            _remove(store, str(picked))
            message = "Entry deleted."
    except entry.EntryError as exc:
        message = f"Not saved: {exc}."
    if message and not message.startswith("Not saved"):
        # The pages' reads are kept while the data version (the newest "sync" time) stands: an
        # entry is news too, for every warm container, so it moves the version as an import does.
        store.put_doc("sync", entry.SOURCE, {"last_success_at": iso_utc(data.now_utc()),
                                             "last_run_at": iso_utc(data.now_utc()),
                                             "last_outcome": "complete"})
        data.clear_cache()
    listing, options = _listing(store)
    return listing, options, None, message

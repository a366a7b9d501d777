"""Overview page: the latest numbers and how every source's sync went."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask_login
from dash import Input, Output, dash_table, html

from core import localtime, units
from dashboard import config as dashboard_config
from dashboard import data
from dashboard.logic import overview
from dashboard.logic.weight import LABELS
from dashboard.prefs import Prefs, current_prefs

dash.register_page(__name__, path="/", title="Overview · Pulseboard", name="Overview",
                   description="Latest weight and fat ratio, last run, last lifting session, "
                               "sync status per source.", order=0)


def layout(**_query: Any) -> Any:
    return html.Div([
        html.H2("Overview", className="page-title"),
        dbc.Spinner(html.Div(id="overview-content"), color="primary"),
    ])


def _shown(value_si: float, kind: str, prefs: Prefs) -> str:
    q = overview.quantity(kind)
    if q == "weight" and kind == "weight_kg" and prefs.stone:
        return units.fmt_stone(value_si)
    return units.fmt(value_si, q, prefs.units) if q else f"{value_si:.1f} {LABELS[kind][1]}"


def _delta(delta_si: float, kind: str, prefs: Prefs) -> str:
    q = overview.quantity(kind)
    if q is None:
        return f"{delta_si:+.2f} {LABELS[kind][1]}"
    shown = units.to_display(delta_si, q, prefs.units) or 0.0
    return f"{shown:+.2f} {units.label(q, prefs.units)}"


def _metric_card(kind: str, info: dict[str, Any] | None, prefs: Prefs) -> Any:
    name, _ = LABELS[kind]
    if info is None:
        return dbc.Card(dbc.CardBody([
            html.H6(name, className="card-label"),
            html.P("No data yet — run `python -m collectors sync --source withings`.",
                   className="muted"),
        ]), className="metric-card")
    changes = [
        html.Span([f"{c['arrow']} {_delta(c['delta'], kind, prefs)}"
                   if c["delta"] is not None else "—",
                   html.Small(f" vs {c['period']}")], className=f"change tone-{c['tone']}")
        for c in info["changes"]
    ]
    return dbc.Card(dbc.CardBody([
        html.H6(name, className="card-label"),
        html.Div(_shown(info["value"], kind, prefs), className="metric-value",
                 id=f"overview-{kind}"),
        html.Small(f"on {localtime.fmt_datetime(info['time'].to_pydatetime(), prefs.tz)}",
                   className="muted", id=f"overview-{kind}-time"),
        html.Div([
            html.Span(f"day mean {_shown(info['day_mean'], kind, prefs)}"),
            html.Span(f" · week of {localtime.fmt_date(info['week_start'])}: mean "
                      f"{_shown(info['week_mean'], kind, prefs)} ({info['week_count']})"),
        ], className="muted small", id=f"overview-{kind}-means"),
        html.Div(changes, className="changes"),
    ]), className="metric-card")


def _table(rows: list[dict[str, Any]], table_id: str) -> Any:
    return dash_table.DataTable(  # type: ignore[attr-defined]
        id=table_id, data=rows, columns=[{"name": c, "id": c} for c in (rows[0] if rows else {})],
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": "inherit", "padding": "4px 6px", "fontSize": "13px",
                    "textAlign": "left", "whiteSpace": "normal", "height": "auto"},
        style_header={"fontWeight": "600"},
    )


def zone_note(prefs: Prefs) -> Any:
    """In the cloud with no zone set, UTC stands in: say so, and how to choose one."""
    try:
        defaulted = dashboard_config.current().timezone_defaulted
    except (KeyError, RuntimeError):
        defaulted = False
    if not defaulted or prefs.zone_name != "UTC":
        return None
    return dbc.Alert(
        "Days and times are shown in UTC: no time zone is set. Set PULSEBOARD_TIMEZONE to your "
        "IANA zone (e.g. Europe/Paris) in the stage's environment, or pick yours in the bar above.",
        color="info", id="overview-zone-note")


BODY_KINDS = ("weight_kg", "fat_ratio_pct")


@data.warms("/")
def first_reads(store: Any, prefs: Prefs) -> list[Any]:
    """What `content` reads, as independent reads `data.prefetch` runs at once."""
    tz = prefs.tz
    return [
        *[lambda kind=kind: data.recent_measurements(store, kind, tz) for kind in BODY_KINDS],
        lambda: data.latest(store, "activities", n=30),
        lambda: data.latest(store, "lift_sets", n=60),
        *[lambda held=held: data.count(store, *held) for held in data.HELD],
        lambda: data.query(store, "rejected"),
        lambda: data.docs(store, "connection"), lambda: data.docs(store, "supervisor"),
    ]


def numbers(store: Any, prefs: Prefs) -> tuple[Any, ...]:
    """The page's numbers in the viewer's units and zone (the changes of each body series, the
    last two runs, the last session, the quarantined counts), kept while the data version
    stands: a later view only lays them out."""
    def compute() -> tuple[Any, ...]:
        body = {kind: overview.changes(data.recent_measurements(store, kind, prefs.tz), kind,
                                       prefs.tz) for kind in BODY_KINDS}
        recent = data.latest(store, "activities", n=30)  # the last two runs are among these
        runs = data.runs_frame([r for r in recent if r.sport_type in data.RUN_SPORTS])
        day, sets = overview.last_session(
            data.sets_frame(data.latest(store, "lift_sets", n=60)), prefs.units)
        return (body, overview.run_comparison(runs, prefs.units), day, sets,
                data.quarantined_by_source(store))

    return data.remembered(store, ("overview-numbers", prefs.zone_name, prefs.units), compute)


def content(store: Any, prefs: Prefs | None = None) -> Any:
    prefs = prefs or current_prefs()
    data.prefetch_page("/", store, prefs)  # read at once: the reads below find them kept
    body, comparison, day, sets, quarantined = numbers(store, prefs)
    cards = [dbc.Col(_metric_card(kind, body[kind], prefs), xs=12, md=6, lg=4)
             for kind in BODY_KINDS]
    run_card = dbc.Card(dbc.CardBody([
        html.H6("Last run vs previous", className="card-label"),
        _table(comparison, "overview-runs") if comparison else html.P(
            "No runs yet — run `python -m collectors sync --source strava`.", className="muted"),
    ]), className="metric-card")
    cards.append(dbc.Col(run_card, xs=12, lg=4))
    lift_card = dbc.Card(dbc.CardBody([
        html.H6(f"Last lifting session{f' · {day}' if day else ''}", className="card-label"),
        _table(sets, "overview-lifts") if sets else html.P(
            "No lifting log yet — run `python -m collectors sync --source sheets`.",
            className="muted"),
    ]))
    status = overview.sources_table(data.sync_status(store), data.now_utc(),
                                    data.held_by_source(store), quarantined, prefs.tz)
    rejected_total = sum(int(r["rejected"] or 0) for r in status)
    sync_card = dbc.Card(dbc.CardBody([
        html.H6("Sources", className="card-label"),
        _table(status, "overview-sources") if status else html.P(
            "Nothing synced yet — run `python -m collectors sync`.", className="muted"),
        html.A(f"See {rejected_total} rejected rows", href=dash.get_relative_path("/quality"),
               id="overview-rejected-link") if rejected_total else None,
        html.Div([
            dbc.Button("Sync now", id="overview-sync", color="secondary", size="sm",
                       outline=True, n_clicks=0),
            html.Span(id="overview-sync-message", className="muted ms-2"),
        ], className="mt-2"),
    ]))
    notes = overview.attention(data.docs(store, "connection"), data.docs(store, "supervisor"))
    return html.Div([
        zone_note(prefs),
        *[dbc.Alert(note, color="warning", className="overview-attention") for note in notes],
        dbc.Row(cards, className="g-3"),
        dbc.Row([dbc.Col(lift_card, xs=12, lg=6), dbc.Col(sync_card, xs=12, lg=6)],
                className="g-3 mt-1"),
    ])


@dash.callback(Output("overview-content", "children"), Input("app-data-version", "data"))
def refresh(_version: str | None) -> Any:
    return content(data.store())


@dash.callback(Output("overview-sync-message", "children"), Input("overview-sync", "n_clicks"),
               prevent_initial_call=True)
def request_sync(n_clicks: int | None) -> Any:
    """Owners may ask for a sync now; it is a request in the store that the collectors' scheduler
    (locally) or the next jobs run (in the cloud) carries out, so the dashboard never calls a
    provider itself and the data still flows one way."""
    if not isinstance(n_clicks, int) or isinstance(n_clicks, bool) or n_clicks < 1:
        return dash.no_update
    user = flask_login.current_user
    return overview.request_sync(data.store(), getattr(user, "id", ""),
                                 bool(getattr(user, "can_change", False)), datetime.now(UTC))

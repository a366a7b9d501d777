"""Data quality page: what the collectors quarantined, and why."""

from __future__ import annotations

import json
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, dash_table, html

from core import localtime
from dashboard import data
from dashboard.prefs import current_prefs

dash.register_page(__name__, path="/quality", title="Data quality · Pulseboard",
                   name="Data quality",
                   description="Rejected records with source, row or id, reason and raw value.",
                   order=6)


def layout(**_query: Any) -> Any:
    return html.Div([
        html.H2("Data quality", className="page-title"),
        html.P("Rows the collectors could not read. Fix them at the source; the next sync "
               "picks the corrected rows up.", className="muted"),
        html.Div(id="quality-content"),
    ])


def _seen(value: Any, tz: Any) -> str:
    try:
        moment = pd.Timestamp(value)
    except (ValueError, TypeError):
        return str(value)[:19]
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return localtime.fmt_datetime(moment.to_pydatetime(), tz)


def rows(frame: Any, tz: Any = localtime.UTC_ZONE) -> list[dict[str, Any]]:
    return [
        {"source": r.source, "row / id": r.ref, "reason": r.reason, "raw value": str(r.raw)[:300],
         "seen": _seen(r.seen_at, tz)}
        for r in frame.itertuples()
    ]


def sheet_unit(cursor: str | None) -> str | None:
    """Which unit the lifting sheet's weights were read in at its last sync, and why."""
    try:
        found = json.loads(cursor) if cursor else None
    except ValueError:
        return None
    if not isinstance(found, dict) or found.get("weight_unit") not in ("kg", "lb"):
        return None
    reason = found.get("weight_unit_reason") or ""
    return (f"The lifting sheet's weights were read in {found['weight_unit']}"
            f"{f' ({reason})' if reason else ''}. Pulseboard stores kg and shows each viewer "
            "their own units.")


@data.warms("/quality")
def first_reads(store: Any, _prefs: Any) -> list[Any]:
    """What `update` reads, as independent reads `data.prefetch` runs at once."""
    return [lambda: data.cursor(store, "sheets"), lambda: data.query(store, "rejected")]


@dash.callback(Output("quality-content", "children"), Input("app-data-version", "data"))
def update(_v: Any) -> Any:
    store = data.store()
    data.prefetch_page("/quality", store, current_prefs())
    note = sheet_unit(data.cursor(store, "sheets"))
    unit_line = html.P(note, className="muted", id="quality-sheet-unit") if note else None
    table = rows(data.rejected(store), current_prefs().tz)
    if not table:
        return html.Div([unit_line, html.Div(
            "No rejected records: everything synced so far was readable.",
            className="alert alert-success", id="quality-empty")])
    return html.Div([unit_line, dash_table.DataTable(  # type: ignore[attr-defined]
        id="quality-table", data=table, columns=[{"name": c, "id": c} for c in table[0]],
        page_size=25, sort_action="native", filter_action="native",
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": "inherit", "padding": "6px", "whiteSpace": "normal",
                    "textAlign": "left", "maxWidth": "420px"},
        style_header={"fontWeight": "600"},
    )])

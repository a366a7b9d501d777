"""Data quality page: what the collectors quarantined, and why."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, dash_table, html

from dashboard import data

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


def rows(frame: Any) -> list[dict[str, Any]]:
    return [
        {"source": r.source, "row / id": r.ref, "reason": r.reason, "raw value": str(r.raw)[:300],
         "seen": str(r.seen_at)[:19]}
        for r in frame.itertuples()
    ]


@dash.callback(Output("quality-content", "children"), Input("app-data-version", "data"))
def update(_v: Any) -> Any:
    table = rows(data.rejected(data.store()))
    if not table:
        return html.Div("No rejected records: everything synced so far was readable.",
                        className="alert alert-success", id="quality-empty")
    return dash_table.DataTable(  # type: ignore[attr-defined]
        id="quality-table", data=table, columns=[{"name": c, "id": c} for c in table[0]],
        page_size=25, sort_action="native", filter_action="native",
        style_table={"overflowX": "auto"},
        style_cell={"fontFamily": "inherit", "padding": "6px", "whiteSpace": "normal",
                    "textAlign": "left", "maxWidth": "420px"},
        style_header={"fontWeight": "600"},
    )

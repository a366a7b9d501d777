"""Dash callbacks: a malformed request is a 400, a callback that fails says so in the page."""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask

log = logging.getLogger(__name__)
ERROR_ID = "app-error"  # where a failed callback's message goes (in the root layout)


def _pairs(items: Any) -> list[tuple[str, str]] | None:
    if not isinstance(items, list):
        return None
    found = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) \
                or not isinstance(item.get("property"), str):
            return None
        found.append((item["id"], item["property"]))
    return found


def problem(body: Any, callback_map: dict[str, Any]) -> str:
    """What is wrong with a callback request's body ("" when nothing is): it must name a
    callback of this app and send exactly that callback's inputs, state and outputs, as Dash's
    renderer does."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "it names no callback of this app"
    declared = callback_map[output]
    for part in ("inputs", "state"):
        if _pairs(body.get(part, [])) != [(i["id"], i["property"]) for i in declared[part]]:
            return f"its {part} are not those of the callback"
    outputs = body.get("outputs")
    raw = declared["output"]
    expected = [(o.component_id, o.component_property)
                for o in (raw if isinstance(raw, list | tuple) else [raw])]
    if _pairs(outputs if isinstance(outputs, list) else [outputs]) != expected:
        return "its outputs are not those of the callback"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds is not a list of names"
    return ""


def on_error(exc: Exception) -> None:
    """The last net under every callback: the reason goes to the log, a message to the page,
    and the outputs keep what they showed."""
    log.error("callback %s failed", dash.ctx.outputs_list, exc_info=exc)
    dash.set_props(ERROR_ID, {"children": dbc.Alert(
        "Something went wrong drawing this view; it shows what it had. Reload the page, and if "
        "it happens again the dashboard's log says why.", color="warning", dismissable=True)})


def install(app: dash.Dash) -> None:
    route = app.config.routes_pathname_prefix + "_dash-update-component"

    @app.server.before_request
    def check_callback() -> Any:
        request = flask.request
        if request.method != "POST" or request.path != route:
            return None
        reason = problem(request.get_json(silent=True), app.callback_map)
        if reason:
            return flask.jsonify(error="bad_callback", message=f"Refused: {reason}."), 400
        return None
